package warnlimit

import (
	"testing"
	"time"
)

func TestFirstAtOnceThenOncePerIntervalWithTheCountHeldBack(t *testing.T) {
	var l Limit
	t0 := time.Unix(1000, 0)
	if ok, held := l.Allow("down", t0); !ok || held != 0 {
		t.Fatalf("first warning: %v %d, want logged", ok, held)
	}
	for i := 1; i <= 5; i++ {
		if ok, _ := l.Allow("down", t0.Add(time.Duration(i)*time.Second)); ok {
			t.Fatalf("warning %d within the interval was logged", i)
		}
	}
	if ok, _ := l.Allow("other", t0.Add(time.Second)); !ok {
		t.Fatal("another message waits for the first's interval")
	}
	if ok, held := l.Allow("down", t0.Add(DefaultEvery)); !ok || held != 5 {
		t.Fatalf("after the interval: %v %d, want logged with 5 held back", ok, held)
	}
	if ok, _ := l.Allow("down", t0.Add(DefaultEvery+time.Second)); ok {
		t.Fatal("the interval did not start again")
	}
}
