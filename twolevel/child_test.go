package twolevel_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

// Coherence tests run several OS processes of this test binary against one
// server: one writer and several readers. The children read their orders
// from the environment and print one JSON report on stdout.
const (
	childRoleEnv    = "VALCACHE_TWOLEVEL_ROLE" // "writer" or "reader"
	childAddrsEnv   = "VALCACHE_TWOLEVEL_ADDRS"
	childUpdatesEnv = "VALCACHE_TWOLEVEL_UPDATES"
	childStartEnv   = "VALCACHE_TWOLEVEL_START" // Unix nanoseconds at which the writer begins

	setKeys = 8 // keys the writer Sets in turn
	tagKeys = 4 // keys the writer tags and invalidates in turn
	// tagEvery is how many Sets go by between two tag invalidations.
	tagEvery = 10
	// readerLimit bounds a reader's run whatever happens to its parent.
	readerLimit = 2 * time.Minute
)

// update is one change the writer made, and when the call returned.
type update struct {
	Key   string `json:"k"`
	Value int    `json:"v"`
	// Invalidated: Value was made unreadable by a tag invalidation, not
	// superseded by a Set.
	Invalidated bool  `json:"inv,omitempty"`
	At          int64 `json:"at"` // Unix nanoseconds when the call returned
}

// span is a run of reads of one key that returned the same value (-1: a
// miss), from the start of the first to the start of the last.
type span struct {
	Key   string `json:"k"`
	Value int    `json:"v"`
	First int64  `json:"f"`
	Last  int64  `json:"l"`
}

type childReport struct {
	Updates []update `json:"updates,omitempty"`
	Spans   []span   `json:"spans,omitempty"`
	Reads   int      `json:"reads"`
	Errors  []string `json:"errors,omitempty"`
}

func setKey(i int) string { return "k" + strconv.Itoa(i%setKeys) }
func tagKey(j int) string { return "t" + strconv.Itoa(j%tagKeys) }
func tagOf(j int) string  { return "g" + strconv.Itoa(j%tagKeys) }

func runChild(role string) int {
	ctx := context.Background()
	p, err := build(ctx, valkeystore.Config{
		Addrs:      strings.Split(os.Getenv(childAddrsEnv), ","),
		KeyPrefix:  "fleet2:",
		ClientName: role,
	}, twolevel.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer p.Close()
	c, err := valcache.New(p, valcache.Options[string, int]{Namespace: "fleet2"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var rep childReport
	switch role {
	case "writer":
		rep = runWriter(ctx, c)
	case "reader":
		rep = runReader(ctx, c)
	default:
		fmt.Fprintln(os.Stderr, "unknown role", role)
		return 2
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func runWriter(ctx context.Context, c *valcache.Cache[string, int]) childReport {
	var rep childReport
	n, _ := strconv.Atoi(os.Getenv(childUpdatesEnv))
	start, _ := strconv.ParseInt(os.Getenv(childStartEnv), 10, 64)
	time.Sleep(time.Until(time.Unix(0, start)))
	fail := func(err error) { rep.Errors = append(rep.Errors, err.Error()) }
	for i := 1; i <= n; i++ {
		if err := c.Set(ctx, setKey(i), i); err != nil {
			fail(err)
			continue
		}
		rep.Updates = append(rep.Updates, update{Key: setKey(i), Value: i, At: time.Now().UnixNano()})
		if i%tagEvery != 0 {
			continue
		}
		j := i / tagEvery
		if err := c.SetWith(ctx, tagKey(j), i, valcache.SetOptions{Tags: []string{tagOf(j)}}); err != nil {
			fail(err)
			continue
		}
		time.Sleep(500 * time.Microsecond) // let readers keep it
		if err := c.InvalidateTags(ctx, tagOf(j)); err != nil {
			fail(err)
			continue
		}
		rep.Updates = append(rep.Updates, update{Key: tagKey(j), Value: i, Invalidated: true, At: time.Now().UnixNano()})
	}
	return rep
}

// runReader reads every key in turn until its stdin closes.
func runReader(ctx context.Context, c *valcache.Cache[string, int]) childReport {
	var rep childReport
	stop := make(chan struct{})
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		close(stop)
	}()
	keys := make([]string, 0, setKeys+tagKeys)
	for i := range setKeys {
		keys = append(keys, setKey(i))
	}
	for j := range tagKeys {
		keys = append(keys, tagKey(j))
	}
	open := map[string]*span{}
	deadline := time.Now().Add(readerLimit)
	for time.Now().Before(deadline) {
		select {
		case <-stop:
			for _, s := range open {
				rep.Spans = append(rep.Spans, *s)
			}
			return rep
		default:
		}
		for _, k := range keys {
			at := time.Now().UnixNano()
			v, ok, err := c.GetIfPresent(ctx, k)
			rep.Reads++
			if err != nil {
				if len(rep.Errors) < 20 {
					rep.Errors = append(rep.Errors, err.Error())
				}
				continue
			}
			if !ok {
				v = -1
			}
			if s := open[k]; s != nil && s.Value == v {
				s.Last = at
				continue
			} else if s != nil {
				rep.Spans = append(rep.Spans, *s)
			}
			open[k] = &span{Key: k, Value: v, First: at, Last: at}
		}
		time.Sleep(50 * time.Microsecond)
	}
	rep.Errors = append(rep.Errors, "reader ran out of time")
	return rep
}
