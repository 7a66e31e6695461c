package main

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// renderHTML writes the report as one self-contained page: inline CSS and
// SVG charts drawn here, no script and nothing fetched, so it opens offline
// and can be attached to a ticket. The markup is also well-formed XML.
func renderHTML(r *benchReport) []byte {
	var b strings.Builder
	esc := html.EscapeString
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>valcache bench report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 800px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { padding: 0.2em 0.8em; text-align: right; border-bottom: 1px solid #ddd; }
td:first-child, th:first-child { text-align: left; }
svg { display: block; margin: 1em 0 2em; background: #fcfcfc; border: 1px solid #eee; }
svg text { font-size: 11px; fill: #444; }
svg .title { font-size: 13px; font-weight: bold; fill: #222; }
.grid { stroke: #e4e4e4; }
.axis { stroke: #888; }
.series { fill: none; stroke: #2a6fdb; stroke-width: 1.5; }
.point { fill: #2a6fdb; }
.bar { fill: #2a6fdb; opacity: 0.8; }
.mark { stroke: #d9480f; stroke-dasharray: 4 3; }
.mark-label { fill: #d9480f; }
</style>
</head>
<body>
`)
	fmt.Fprintf(&b, "<h1>valcache bench</h1>\n<p>On the %s, started %s.</p>\n", esc(r.Provider), esc(r.Started.Format(time.RFC3339)))
	fmt.Fprintf(&b, "<p>Workload: %s.</p>\n", esc(r.Workload.summary()))
	b.WriteString("<table id=\"summary\">\n")
	row := func(name, value string) {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td></tr>\n", esc(name), esc(value))
	}
	row("operations", fmt.Sprintf("%s in %.2f s", grouped(r.Ops), r.ElapsedSeconds))
	row("throughput", grouped(int64(r.Throughput))+" ops/s")
	row("reads", grouped(r.Reads))
	row("writes", grouped(r.Writes))
	row("hit ratio", fmt.Sprintf("%.2f%%", 100*r.HitRatio))
	row("loader calls", grouped(r.LoaderCalls))
	row("errors", grouped(r.Errors))
	if r.FirstError != "" {
		row("first error", r.FirstError)
	}
	b.WriteString("</table>\n<table id=\"latency\">\n<tr><th>latency</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th></tr>\n")
	for _, l := range []struct {
		name string
		s    latencySummary
	}{{"all", r.Latency}, {"reads", r.ReadLatency}, {"writes", r.WriteLatency}} {
		if l.s.Count == 0 {
			continue
		}
		fmt.Fprintf(&b, "<tr><td>%s</td>", esc(l.name))
		for _, v := range []int64{l.s.P50, l.s.P90, l.s.P99, l.s.P999, l.s.Max, l.s.Mean} {
			fmt.Fprintf(&b, "<td>%s</td>", esc(short(v)))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n")
	throughputChart(&b, r)
	latencyChart(&b, r)
	percentileChart(&b, r)
	b.WriteString("</body>\n</html>\n")
	return []byte(b.String())
}

// plot is the drawing area of one chart and its axes' ranges.
type plot struct {
	b                      *strings.Builder
	x0, x1, y0, y1         float64 // data ranges
	xlog, ylog             bool
	left, top, w, h        float64 // pixels
	width, height, bottomY float64
}

// newPlot starts a chart whose left margin fits the widest of yticks'
// labels and, left of them, the rotated y-axis name, so that neither is
// drawn over the other (7-digit throughputs are wider than a fixed margin).
func newPlot(b *strings.Builder, id, title string, x0, x1, y0, y1 float64, xlog, ylog bool, yticks []tick) *plot {
	widest := 0.0
	for _, t := range yticks {
		widest = max(widest, labelWidth(t.label))
	}
	p := &plot{b: b, x0: x0, x1: x1, y0: y0, y1: y1, xlog: xlog, ylog: ylog,
		left: max(70, axisNameRight+labelGap+tickGap+widest), top: 30, width: 760, height: 300}
	p.w, p.h = p.width-p.left-20, p.height-p.top-45
	p.bottomY = p.top + p.h
	fmt.Fprintf(b, `<svg id="%s" xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`+"\n",
		id, p.width, p.height, p.width, p.height, html.EscapeString(title))
	fmt.Fprintf(b, `<text class="title" x="%.0f" y="18">%s</text>`+"\n", p.left, html.EscapeString(title))
	return p
}

func (p *plot) scale(v, lo, hi float64, log bool) float64 {
	if log {
		v, lo, hi = math.Log10(max(v, 1e-9)), math.Log10(max(lo, 1e-9)), math.Log10(max(hi, 1e-9))
	}
	if hi <= lo {
		return 0
	}
	return min(max((v-lo)/(hi-lo), 0), 1)
}

func (p *plot) x(v float64) float64 { return p.left + p.w*p.scale(v, p.x0, p.x1, p.xlog) }
func (p *plot) y(v float64) float64 { return p.bottomY - p.h*p.scale(v, p.y0, p.y1, p.ylog) }

// Horizontal layout of a y axis, in pixels at the charts' 11px font: the
// rotated axis name is centred on axisNameX and ends by axisNameRight;
// labels end tickGap left of the axis and keep labelGap from the name.
const (
	axisNameX     = 14
	axisNameRight = axisNameX + 6
	labelGap      = 6
	tickGap       = 6
)

// labelWidth estimates how wide s is drawn at the charts' font size:
// digits and letters about 6.5px, separators narrower. Over-estimating
// only widens the margin.
func labelWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		switch r {
		case ',', '.', ' ', '\'', ':':
			w += 3.5
		default:
			w += 6.5
		}
	}
	return w
}

// axes draws grid lines and labels at the given ticks, and the axis names.
func (p *plot) axes(xticks, yticks []tick, xname, yname string) {
	for _, t := range yticks {
		y := p.y(t.v)
		fmt.Fprintf(p.b, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", p.left, y, p.left+p.w, y)
		fmt.Fprintf(p.b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", p.left-tickGap, y+4, html.EscapeString(t.label))
	}
	for _, t := range xticks {
		x := p.x(t.v)
		fmt.Fprintf(p.b, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", x, p.top, x, p.bottomY)
		fmt.Fprintf(p.b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x, p.bottomY+16, html.EscapeString(t.label))
	}
	fmt.Fprintf(p.b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", p.left, p.bottomY, p.left+p.w, p.bottomY)
	fmt.Fprintf(p.b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", p.left, p.top, p.left, p.bottomY)
	fmt.Fprintf(p.b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", p.left+p.w/2, p.height-6, html.EscapeString(xname))
	fmt.Fprintf(p.b, `<text class="axis-name" x="%d" y="%.1f" text-anchor="middle" transform="rotate(-90 %d %.1f)">%s</text>`+"\n", axisNameX, p.top+p.h/2, axisNameX, p.top+p.h/2, html.EscapeString(yname))
}

// series draws a line through the points with a dot on each.
func (p *plot) series(xs, ys []float64) {
	var pts strings.Builder
	for i := range xs {
		fmt.Fprintf(&pts, "%.1f,%.1f ", p.x(xs[i]), p.y(ys[i]))
	}
	fmt.Fprintf(p.b, `<polyline class="series" points="%s"/>`+"\n", strings.TrimSpace(pts.String()))
	for i := range xs {
		fmt.Fprintf(p.b, `<circle class="point" cx="%.1f" cy="%.1f" r="2.5"><title>%s</title></circle>`+"\n", p.x(xs[i]), p.y(ys[i]), html.EscapeString(fmt.Sprintf("%g, %g", xs[i], ys[i])))
	}
}

func (p *plot) end() { p.b.WriteString("</svg>\n") }

// tick is a labelled position on an axis.
type tick struct {
	v     float64
	label string
}

// linearTicks returns about five round ticks from 0 to hi.
func linearTicks(hi float64, label func(float64) string) []tick {
	if hi <= 0 {
		return []tick{{0, label(0)}}
	}
	raw := hi / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	var out []tick
	for v := 0.0; v <= hi*1.0001 && len(out) < 20; v += step {
		out = append(out, tick{v, label(v)})
	}
	return out
}

// decadeTicks returns a tick at each power of ten from lo to hi (in ns).
func decadeTicks(lo, hi float64) []tick {
	var out []tick
	for e := math.Floor(math.Log10(max(lo, 1))); e <= math.Ceil(math.Log10(max(hi, 1))) && len(out) < 20; e++ {
		v := math.Pow(10, e)
		out = append(out, tick{v, short(int64(v))})
	}
	return out
}

func throughputChart(b *strings.Builder, r *benchReport) {
	peak := 0.0
	xs := []float64{}
	ys := []float64{}
	for _, t := range r.Timeline {
		xs = append(xs, t.EndSeconds)
		ys = append(ys, t.OpsPerSeconds)
		peak = max(peak, t.OpsPerSeconds)
	}
	top := max(peak*1.1, 1)
	yticks := linearTicks(top, func(v float64) string { return grouped(int64(v)) })
	p := newPlot(b, "throughput-chart", "Throughput over time", 0, max(r.ElapsedSeconds, 0.001), 0, top, false, false, yticks)
	p.axes(linearTicks(r.ElapsedSeconds, func(v float64) string { return fmt.Sprintf("%gs", math.Round(v*100)/100) }),
		yticks, "time since start", "ops/s")
	p.series(xs, ys)
	p.end()
}

func latencyChart(b *strings.Builder, r *benchReport) {
	lo, hi := 1.0, 1000.0
	tallest := uint64(1)
	if n := len(r.Histogram); n > 0 {
		lo, hi = float64(max(r.Histogram[0].LowNs, 1)), float64(r.Histogram[n-1].HighNs+1)
	}
	for _, bin := range r.Histogram {
		tallest = max(tallest, bin.Count)
	}
	lo = math.Pow(10, math.Floor(math.Log10(lo)))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	top := float64(tallest) * 1.1
	yticks := linearTicks(top, func(v float64) string { return grouped(int64(v)) })
	p := newPlot(b, "latency-chart", "Latency distribution (operations per bucket, log scale of latency)", lo, hi, 0, top, true, false, yticks)
	p.axes(decadeTicks(lo, hi), yticks, "latency", "operations")
	for _, bin := range r.Histogram {
		x0, x1 := p.x(float64(max(bin.LowNs, 1))), p.x(float64(bin.HighNs+1))
		y := p.y(float64(bin.Count))
		fmt.Fprintf(b, `<rect class="bar" x="%.2f" y="%.1f" width="%.2f" height="%.1f"><title>%s</title></rect>`+"\n",
			x0, y, max(x1-x0, 0.8), p.bottomY-y, html.EscapeString(fmt.Sprintf("%s to %s: %d", short(int64(bin.LowNs)), short(int64(bin.HighNs)), bin.Count)))
	}
	for _, m := range []struct {
		name string
		v    int64
	}{{"p50", r.Latency.P50}, {"p99", r.Latency.P99}, {"p99.9", r.Latency.P999}} {
		if m.v <= 0 {
			continue
		}
		x := p.x(float64(m.v))
		fmt.Fprintf(b, `<line class="mark" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", x, p.top, x, p.bottomY)
		fmt.Fprintf(b, `<text class="mark-label" x="%.1f" y="%.1f">%s</text>`+"\n", x+3, p.top+10, html.EscapeString(m.name))
	}
	p.end()
}

// percentileChart plots latency by percentile: the x axis spreads the
// tail (90, 99, 99.9, …) evenly, where the interesting part is.
func percentileChart(b *strings.Builder, r *benchReport) {
	qs := []struct {
		label string
		v     int64
	}{{"p50", r.Latency.P50}, {"p90", r.Latency.P90}, {"p99", r.Latency.P99}, {"p99.9", r.Latency.P999}, {"max", r.Latency.Max}}
	lo, hi := math.Inf(1), 1.0
	for _, q := range qs {
		lo, hi = min(lo, float64(max(q.v, 1))), max(hi, float64(q.v))
	}
	lo = math.Pow(10, math.Floor(math.Log10(lo)))
	hi = math.Pow(10, math.Ceil(math.Log10(max(hi, lo*10))))
	yticks := decadeTicks(lo, hi)
	p := newPlot(b, "percentile-chart", "Latency by percentile (log scale)", 0, float64(len(qs)-1), lo, hi, false, true, yticks)
	var xticks []tick
	xs, ys := []float64{}, []float64{}
	for i, q := range qs {
		xticks = append(xticks, tick{float64(i), q.label})
		xs = append(xs, float64(i))
		ys = append(ys, float64(max(q.v, 1)))
	}
	p.axes(xticks, yticks, "percentile", "latency")
	p.series(xs, ys)
	p.end()
}
