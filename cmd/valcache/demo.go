package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
)

// Product is the demo's value type: a plain struct, registered nowhere.
type Product struct {
	ID    int     `json:"id"`
	Name  string  `json:"name"`
	Price float64 `json:"price"`
	Tags  []string
}

func runDemo(ctx context.Context, args []string, con console) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(con.stderr)
	var srv server
	srv.register(fs, "")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: valcache demo [--valkey ADDR | --cluster ADDR,...]\n\n"+
			"A guided run of the cache with real measured numbers: in-process (no server)\n"+
			"by default, on Valkey when a server is named.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(con, "demo", "unexpected argument %q", fs.Arg(0))
	}
	if _, err := srv.addrs(); srv.set() && err != nil {
		return usageError(con, "demo", "%v", err)
	}
	var p driver.Provider
	var where string
	if !srv.set() {
		mp, err := memory.New(memory.Config{MaxEntries: 10_000})
		if err != nil {
			return fail(con, "demo", err)
		}
		p, where = mp, "in-process provider (otter), no server"
	} else {
		vp, err := srv.connect(ctx, "valcache-demo", false, con.stderr)
		if err != nil {
			return fail(con, "demo", err)
		}
		p, where = vp, srv.describe(vp)
	}
	defer p.Close()
	d := &demoRun{ctx: ctx, p: p, where: where, out: con.stdout, stderr: con.stderr}
	if srv.set() {
		d.srv = &srv
	}
	if err := d.run(); err != nil {
		return fail(con, "demo", err)
	}
	return exitOK
}

// demoRun walks through the API with real calls and real timings.
type demoRun struct {
	ctx    context.Context
	p      driver.Provider
	where  string
	srv    *server // nil in process
	out    io.Writer
	stderr io.Writer
	step   func(string)
}

func (d *demoRun) run() error {
	d.step = stepper(d.out)
	fmt.Fprintf(d.out, "valcache demo on the %s\n\n", d.where)
	for _, part := range []func() error{d.basics, d.loads, d.stampede, d.compute, d.coherence} {
		if err := part(); err != nil {
			return err
		}
	}
	fmt.Fprintf(d.out, "\ndone: every step ran against the %s\n", d.where)
	return nil
}

// basics: typed values, namespaces, bulk calls, hit cost, TTL, tags, delete
// and clear.
func (d *demoRun) basics() error {
	ctx, p, out, step := d.ctx, d.p, d.out, d.step

	products, err := valcache.New(p, valcache.Options[int, Product]{Namespace: "demo:products", TTL: 10 * time.Minute, Jitter: 0.1})
	if err != nil {
		return err
	}
	views, err := valcache.New(p, valcache.Options[string, int]{Namespace: "demo:views"})
	if err != nil {
		return err
	}
	if err := products.Clear(ctx); err != nil {
		return err
	}
	if err := views.Clear(ctx); err != nil {
		return err
	}

	step("Typed values, no registration")
	kb := Product{ID: 1, Name: "Mechanical keyboard", Price: 89.90, Tags: []string{"desk", "input"}}
	if err := products.Set(ctx, kb.ID, kb); err != nil {
		return err
	}
	got, found, err := products.GetIfPresent(ctx, 1)
	if err != nil || !found {
		return fmt.Errorf("reading back product 1: found=%v err=%v", found, err)
	}
	fmt.Fprintf(out, "  Set(1, %q) then GetIfPresent(1) -> %+v\n", kb.Name, got)
	if _, found, err = products.GetIfPresent(ctx, 2); err != nil {
		return err
	}
	fmt.Fprintf(out, "  GetIfPresent(2) -> found=%v (a miss is not an error)\n", found)

	step("Namespaces share one provider without mixing")
	if err := views.Set(ctx, "1", 12); err != nil {
		return err
	}
	v, _, err := views.GetIfPresent(ctx, "1")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  demo:views[\"1\"] = %d while demo:products[1] is still %q\n", v, got.Name)

	step("Bulk operations")
	batch := map[int]Product{}
	for i := 2; i <= 100; i++ {
		batch[i] = Product{ID: i, Name: fmt.Sprintf("Product %d", i), Price: float64(i)}
	}
	if err := products.SetMany(ctx, batch); err != nil {
		return err
	}
	many, err := products.GetManyIfPresent(ctx, []int{1, 50, 100, 1000})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  SetMany(99 products); GetMany(1, 50, 100, 1000) -> %d hits (1000 is absent)\n", len(many))

	step("Hit throughput, measured now")
	const reads = 20_000
	start := time.Now()
	for i := range reads {
		if _, _, err := products.GetIfPresent(ctx, 1+i%100); err != nil {
			return err
		}
	}
	elapsed := time.Since(start)
	fmt.Fprintf(out, "  %d sequential hits in %v: %v per hit\n", reads, elapsed.Round(time.Microsecond), (elapsed / reads).Round(time.Nanosecond))

	step("TTL: entries expire exactly, even below a second")
	if err := products.SetWith(ctx, 999, Product{ID: 999, Name: "Flash sale"}, valcache.SetOptions{TTL: 150 * time.Millisecond}); err != nil {
		return err
	}
	_, before, err := products.GetIfPresent(ctx, 999)
	if err != nil {
		return err
	}
	time.Sleep(200 * time.Millisecond)
	_, after, err := products.GetIfPresent(ctx, 999)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  SetWith(999, TTL 150ms): present at once=%v, present after 200ms=%v\n", before, after)

	step("Tags: one write invalidates every entry that carries the tag")
	for id, supplier := range map[int]string{201: "supplier:3", 202: "supplier:3", 203: "supplier:9"} {
		p := Product{ID: id, Name: fmt.Sprintf("Part %d", id)}
		if err := products.SetWith(ctx, id, p, valcache.SetOptions{Tags: []string{supplier}}); err != nil {
			return err
		}
	}
	if err := products.InvalidateTags(ctx, "supplier:3"); err != nil {
		return err
	}
	tagged, err := products.GetManyIfPresent(ctx, []int{201, 202, 203})
	if err != nil {
		return err
	}
	_, kept := tagged[203]
	fmt.Fprintf(out, "  3 parts tagged by supplier; InvalidateTags(\"supplier:3\") -> %d left (203 of supplier:9 kept=%v)\n", len(tagged), kept)

	step("Delete and clear")
	if err := products.Delete(ctx, 1); err != nil {
		return err
	}
	_, found, err = products.GetIfPresent(ctx, 1)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  Delete(1) -> present=%v\n", found)
	if err := products.Clear(ctx); err != nil {
		return err
	}
	left, err := products.GetManyIfPresent(ctx, []int{2, 50, 100})
	if err != nil {
		return err
	}
	v, found, err = views.GetIfPresent(ctx, "1")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  Clear(demo:products) -> %d products left; demo:views[\"1\"] still %d (present=%v)\n", len(left), v, found)
	if err := views.Clear(ctx); err != nil {
		return err
	}

	return nil
}

func stepper(out io.Writer) func(string) {
	n := 0
	return func(title string) {
		n++
		fmt.Fprintf(out, "%d. %s\n", n, title)
	}
}
