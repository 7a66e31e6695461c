package valkeystore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/valcache/valcache/search/index"
	"github.com/valkey-io/valkey-go"
)

var _ index.Backend = (*Provider)(nil)

// indexShards is how many shards a namespace's index is split into. Each
// shard is one hash tag, so on a cluster the shards spread over the nodes
// while every script still runs in one slot. Changing it orphans existing
// indexes, so it is fixed.
const indexShards = 16

// indexPruneBudget bounds the expired documents one script removes from its
// shard: every write and query removes up to this many, so a shard never
// stalls on a backlog and the backlog still drains with traffic.
const indexPruneBudget = 128

// noExpiryScore is the expiry score of documents that never expire: 2^53,
// the largest integer a Lua number holds exactly, far past any real time.
const noExpiryScore = "9007199254740992"

// indexBase is <index prefix>{%idx:esc(ns):<shard>}. A '%' written by
// escaping is always followed by 2, 3 or 7, so no entry, version or
// coordination key can start the same way, whatever the prefixes.
func (l layout) indexBase(ns string, shard int) string {
	var b strings.Builder
	b.WriteString(l.indexPrefix)
	b.WriteString("{%idx:")
	escapeTo(&b, ns, true)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(shard))
	b.WriteByte('}')
	return b.String()
}

// shardOf assigns a document to a shard by its ID.
func shardOf(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % indexShards)
}

// Posting key suffixes, after a shard's base: ":t:<esc field>:<value>" is
// the set of documents having a tag value, ":n:<esc field>" the sorted set
// of a numeric field, ":w:<term>" the postings of a term (score: its
// frequency). The field is escaped with ':', so a value can never continue
// a field name.
func tagSuffix(field, value string) string {
	var b strings.Builder
	b.WriteString(":t:")
	escapeTo(&b, field, true)
	b.WriteByte(':')
	b.WriteString(value)
	return b.String()
}

func numSuffix(field string) string {
	var b strings.Builder
	b.WriteString(":n:")
	escapeTo(&b, field, true)
	return b.String()
}

func termSuffix(term string) string { return ":w:" + term }

func msString(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func floatString(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Index implements index.Backend: one script per document, on its shard,
// all pipelined.
func (p *Provider) Index(ctx context.Context, ns string, docs []index.Doc) error {
	if err := p.gate(); err != nil {
		return err
	}
	if len(docs) == 0 {
		return nil
	}
	ctx, cancel := p.deadline(ctx, p.cfg.SearchTimeout)
	defer cancel()
	now := msString(time.Now())
	budget := strconv.Itoa(indexPruneBudget)
	execs := make([]valkey.LuaExec, len(docs))
	for i, d := range docs {
		base := p.keys.indexBase(ns, shardOf(d.ID))
		exp := noExpiryScore
		if !d.Expiry.IsZero() {
			exp = msString(d.Expiry)
		}
		args := make([]string, 0, 7+3*(len(d.Tags)+len(d.Numbers)+len(d.Terms)))
		args = append(args, base, now, budget, d.ID, strconv.FormatUint(d.Rev, 10), exp, strconv.Itoa(d.Length))
		for f, vs := range d.Tags {
			for _, v := range vs {
				args = append(args, tagSuffix(f, v), "s", "")
			}
		}
		for f, v := range d.Numbers {
			args = append(args, numSuffix(f), "z", floatString(v))
		}
		for t, n := range d.Terms {
			args = append(args, termSuffix(t), "z", strconv.Itoa(n))
		}
		execs[i] = valkey.LuaExec{Keys: []string{base + ":x"}, Args: args}
	}
	var errs []error
	for _, r := range indexDocScript.execMulti(ctx, p.client, execs) {
		if err := r.Error(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return wrap(fmt.Sprintf("index %d of %d documents", len(errs), len(docs)), errs[0])
	}
	return nil
}

// Unindex implements index.Backend: one script per shard touched.
func (p *Provider) Unindex(ctx context.Context, ns string, refs []index.Ref) error {
	if err := p.gate(); err != nil {
		return err
	}
	if len(refs) == 0 {
		return nil
	}
	ctx, cancel := p.deadline(ctx, p.cfg.SearchTimeout)
	defer cancel()
	now := msString(time.Now())
	byShard := map[int][]string{}
	for _, r := range refs {
		s := shardOf(r.ID)
		if byShard[s] == nil {
			byShard[s] = []string{p.keys.indexBase(ns, s), now, strconv.Itoa(indexPruneBudget)}
		}
		rev := ""
		if r.Rev != 0 {
			rev = strconv.FormatUint(r.Rev, 10)
		}
		byShard[s] = append(byShard[s], r.ID, rev)
	}
	execs := make([]valkey.LuaExec, 0, len(byShard))
	for _, args := range byShard {
		execs = append(execs, valkey.LuaExec{Keys: []string{args[0] + ":x"}, Args: args})
	}
	for _, r := range unindexScript.execMulti(ctx, p.client, execs) {
		if err := r.Error(); err != nil {
			return wrap("unindex", err)
		}
	}
	return nil
}

// QueryIndex implements index.Backend: the query runs on every shard, in
// one pipeline (one round trip per node), and the shards' answers are
// merged. With a Limit, each shard returns at most Limit documents in the
// query's order, which holds the first Limit overall.
//
// On a cluster a shard whose node cannot serve (it is down, or no node
// serves its slot) is left out and listed in index.Result.Missing, so that
// a node down costs the matches it holds, not the whole query; any other
// failure, or every shard missing, fails the query.
func (p *Provider) QueryIndex(ctx context.Context, ns string, q index.Query) (index.Result, error) {
	if err := p.gate(); err != nil {
		return index.Result{}, err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.SearchTimeout)
	defer cancel()
	missing := map[int]error{}
	var scoring []string
	if len(q.Terms) > 0 && q.SortBy == "" && q.Limit > 0 {
		// The statistics get half of the time left, so that a shard whose
		// slot no node serves (retried until the deadline, see
		// transientRetry) leaves the query itself time to run.
		sctx, cancel := halfDeadline(ctx)
		var err error
		scoring, err = p.bm25Args(sctx, ns, q.Terms, missing)
		cancel()
		if err != nil {
			if len(missing) == indexShards {
				return index.Result{}, err
			}
			return index.Result{}, wrap("query index statistics", err)
		}
	}
	args := append(queryArgs(q, scoring != nil), scoring...)
	args[1] = msString(time.Now())
	execs := make([]valkey.LuaExec, 0, indexShards)
	shards := make([]int, 0, indexShards)
	for s := range indexShards {
		if _, ok := missing[s]; ok {
			continue
		}
		base := p.keys.indexBase(ns, s)
		a := make([]string, len(args))
		copy(a, args)
		a[0] = base
		execs = append(execs, valkey.LuaExec{Keys: []string{base + ":x"}, Args: a})
		shards = append(shards, s)
	}
	res := index.Result{DF: make([]int, len(q.Terms))}
	for i, r := range queryShardScript.execMulti(ctx, p.client, execs) {
		if err := r.Error(); err != nil && p.shardLost(err) {
			missing[shards[i]] = wrap("query index", err)
			continue
		}
		if err := mergeShard(&res, r, len(q.Terms)); err != nil {
			return index.Result{}, wrap("query index", err)
		}
	}
	if len(missing) == indexShards {
		for _, err := range missing {
			return index.Result{}, err
		}
	}
	for s := range indexShards {
		if err, ok := missing[s]; ok {
			res.Missing = append(res.Missing, s)
			res.MissingErr = err
		}
	}
	return res, nil
}

// halfDeadline returns ctx bounded by half of the time it has left, as a
// deadline of the provider's own (see ownDeadline): it always comes before
// the caller's.
func halfDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return ctx, noCancel
	}
	c, cancel := context.WithDeadline(ctx, time.Now().Add(time.Until(dl)/2))
	return ownDeadline{c}, cancel
}

// shardLost reports whether err, the failure of one index shard's command,
// leaves the others worth answering from: on a cluster, an outage, which
// may be its node's alone (the provider's own deadline included: the other
// nodes' replies are in by then). The caller's cancellation or deadline is
// not: the caller gave up on the whole call.
func (p *Provider) shardLost(err error) bool {
	return p.cluster && outage(err)
}

// bm25Args reads the index statistics of every shard (one pipeline) and
// returns them as queryShardScript takes them: the average length, then
// each term's idf. With them, each shard keeps only its best documents.
// Shards whose statistics could not be read (see shardLost) are added to
// missing and left out of the statistics.
func (p *Provider) bm25Args(ctx context.Context, ns string, terms []string, missing map[int]error) ([]string, error) {
	cmds := make(valkey.Commands, 0, indexShards*(1+len(terms)))
	for s := range indexShards {
		base := p.keys.indexBase(ns, s)
		cmds = append(cmds, p.client.B().Hmget().Key(base+":s").Field("n", "tl").Build())
		for _, t := range terms {
			cmds = append(cmds, p.client.B().Zcard().Key(base+termSuffix(t)).Build())
		}
	}
	resps := p.client.DoMulti(ctx, cmds...)
	stride := 1 + len(terms)
	for s := range indexShards {
		for _, r := range resps[s*stride : (s+1)*stride] {
			if err := r.Error(); err != nil && p.shardLost(err) {
				missing[s] = wrap("query index statistics", err)
				break
			}
		}
	}
	docs, total := 0, int64(0)
	df := make([]int, len(terms))
	for i, r := range resps {
		if _, lost := missing[i/stride]; lost {
			continue
		}
		if j := i % stride; j > 0 {
			n, err := r.AsInt64()
			if err != nil {
				return nil, err
			}
			df[j-1] += int(n)
			continue
		}
		vals, err := r.ToArray()
		if err != nil || len(vals) != 2 {
			return nil, errors.Join(err, errBadIndexReply)
		}
		if n, err := vals[0].AsInt64(); err == nil {
			docs += int(n)
		}
		if n, err := vals[1].AsInt64(); err == nil {
			total += n
		}
	}
	if len(missing) == indexShards {
		for _, err := range missing {
			return nil, err
		}
	}
	out := []string{floatString(index.BM25AvgLength(total, docs))}
	for _, n := range df {
		out = append(out, floatString(index.BM25IDF(n, docs)))
	}
	return out, nil
}

// queryArgs encodes q for queryShardScript; the first two arguments (base
// and time) are filled per call, and the BM25 statistics follow when
// scoring.
func queryArgs(q index.Query, scoring bool) []string {
	sortKey := ""
	if q.SortBy != "" {
		sortKey = numSuffix(q.SortBy)
	}
	desc := "0"
	if q.Desc {
		desc = "1"
	}
	limit := 0
	if len(q.Terms) == 0 || q.SortBy != "" || scoring {
		limit = max(q.Limit, 0)
	}
	args := []string{"", "", strconv.Itoa(indexPruneBudget), strconv.Itoa(limit), sortKey, desc, strconv.Itoa(len(q.Tags))}
	for _, f := range q.Tags {
		args = append(args, strconv.Itoa(len(f.Values)))
		for _, v := range f.Values {
			args = append(args, tagSuffix(f.Field, v))
		}
	}
	args = append(args, strconv.Itoa(len(q.Ranges)))
	for _, r := range q.Ranges {
		args = append(args, numSuffix(r.Field), boundString(r.Min), boundString(r.Max), flag(r.MinExcl), flag(r.MaxExcl))
	}
	args = append(args, strconv.Itoa(len(q.Terms)))
	for _, t := range q.Terms {
		args = append(args, termSuffix(t))
	}
	return args
}

// boundString is a range bound for the script: "" for an open end.
func boundString(v float64) string {
	if v > 1e308 || v < -1e308 {
		return ""
	}
	return floatString(v)
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

var errBadIndexReply = errors.New("unexpected reply shape from the index script")

// mergeShard adds one shard's reply to res.
func mergeShard(res *index.Result, r valkey.ValkeyResult, terms int) error {
	vals, err := r.ToArray()
	if err != nil {
		return err
	}
	if len(vals) < 3+terms || (len(vals)-3-terms)%(4+terms) != 0 {
		return errBadIndexReply
	}
	head := make([]int64, 3+terms)
	for i := range head {
		if head[i], err = vals[i].AsInt64(); err != nil {
			return err
		}
	}
	res.Total += int(head[0])
	res.Docs += int(head[1])
	res.TotalLength += head[2]
	for t := range terms {
		res.DF[t] += int(head[3+t])
	}
	for i := 3 + terms; i < len(vals); i += 4 + terms {
		var c index.Candidate
		var strs [4]string
		for j := range strs {
			if strs[j], err = vals[i+j].ToString(); err != nil {
				return err
			}
		}
		c.ID = strs[0]
		c.Rev, _ = strconv.ParseUint(strs[1], 10, 64)
		if strs[2] != "" {
			if c.Sort, err = strconv.ParseFloat(strs[2], 64); err != nil {
				return err
			}
			c.HasSort = true
		}
		c.Length, _ = strconv.Atoi(strs[3])
		if terms > 0 {
			c.TF = make([]int, terms)
			for t := range terms {
				s, err := vals[i+4+t].ToString()
				if err != nil {
					return err
				}
				c.TF[t], _ = strconv.Atoi(s)
			}
		}
		res.Candidates = append(res.Candidates, c)
	}
	return nil
}
