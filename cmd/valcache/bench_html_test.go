package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"testing"
	"time"
)

// The y-axis name and the tick labels never overlap, however wide the
// labels: at 9.5 million ops/s each label ends before the axis and starts
// right of the rotated "ops/s".
func TestBenchHTMLAxisNameClearsWideLabels(t *testing.T) {
	r := &benchReport{Provider: "memory", Started: time.Unix(0, 0).UTC(), ElapsedSeconds: 3}
	for i := 1; i <= 3; i++ {
		r.Timeline = append(r.Timeline, timePoint{EndSeconds: float64(i), Ops: 9_500_000, OpsPerSeconds: 9_500_000})
	}
	dec := xml.NewDecoder(bytes.NewReader(renderHTML(r)))
	inChart, labels := false, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attrs := map[string]string{}
		for _, a := range el.Attr {
			attrs[a.Name.Local] = a.Value
		}
		if el.Name.Local == "svg" {
			inChart = attrs["id"] == "throughput-chart"
		}
		if !inChart || el.Name.Local != "text" || attrs["text-anchor"] != "end" {
			continue
		}
		var label string
		if err := dec.DecodeElement(&label, &el); err != nil {
			t.Fatal(err)
		}
		right, err := strconv.ParseFloat(attrs["x"], 64)
		if err != nil {
			t.Fatal(err)
		}
		if left := right - labelWidth(label); left < axisNameRight+labelGap {
			t.Errorf("label %q starts at x=%.1f, over the axis name (which ends at %d)", label, left, axisNameRight)
		}
		labels++
	}
	if labels < 3 {
		t.Fatalf("%d y-axis labels in the throughput chart", labels)
	}
}
