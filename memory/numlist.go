package memory

import (
	"hash/fnv"
	"math/bits"
)

// numList keeps one numeric field's documents ordered by (value, id), as a
// skip list: a range sorted by its own field is then read in order from
// its first member, costing its page rather than a pass over every
// document. Levels come from a hash of the id, so the list needs no random
// source and is the same for the same documents.
type numList struct {
	head [numMaxLevel]*numNode
	tail *numNode
}

const numMaxLevel = 24

type numNode struct {
	v    float64
	doc  *indexedDoc
	next []*numNode
	prev *numNode // at the bottom level; nil for the first node
}

func levelOf(id string) int {
	h := fnv.New64a()
	h.Write([]byte(id))
	return min(1+bits.TrailingZeros64(h.Sum64()|1<<62)/2, numMaxLevel)
}

// path returns, per level, the next pointer after which (v, id) belongs.
func (l *numList) path(v float64, id string) [numMaxLevel]*[]*numNode {
	var update [numMaxLevel]*[]*numNode
	headNext := l.head[:]
	cur := &headNext
	for lv := numMaxLevel - 1; lv >= 0; lv-- {
		for {
			n := (*cur)[lv]
			if n == nil || !(n.v < v || (n.v == v && n.doc.ID < id)) {
				break
			}
			cur = &n.next
		}
		update[lv] = cur
	}
	return update
}

func (l *numList) insert(v float64, d *indexedDoc) {
	update := l.path(v, d.ID)
	n := &numNode{v: v, doc: d, next: make([]*numNode, levelOf(d.ID))}
	for lv := range n.next {
		n.next[lv] = (*update[lv])[lv]
		(*update[lv])[lv] = n
	}
	if n.next[0] != nil {
		n.prev = n.next[0].prev
		n.next[0].prev = n
	} else {
		n.prev = l.tail
		l.tail = n
	}
}

func (l *numList) remove(v float64, id string) {
	update := l.path(v, id)
	n := (*update[0])[0]
	if n == nil || n.v != v || n.doc.ID != id {
		return
	}
	for lv := range n.next {
		if (*update[lv])[lv] == n {
			(*update[lv])[lv] = n.next[lv]
		}
	}
	if n.next[0] != nil {
		n.next[0].prev = n.prev
	} else {
		l.tail = n.prev
	}
}

func (l *numList) empty() bool { return l.head[0] == nil }

// first returns the first node not below min (above it when excl).
func (l *numList) first(min float64, excl bool) *numNode {
	headNext := l.head[:]
	cur := &headNext
	for lv := numMaxLevel - 1; lv >= 0; lv-- {
		for {
			n := (*cur)[lv]
			if n == nil || !(n.v < min || (excl && n.v == min)) {
				break
			}
			cur = &n.next
		}
	}
	return (*cur)[0]
}

// last returns the last node not above max (below it when excl).
func (l *numList) last(max float64, excl bool) *numNode {
	after := l.first(max, !excl)
	if after == nil {
		return l.tail
	}
	return after.prev
}
