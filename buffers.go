package valcache

import "sync"

// maxPooledBuffer keeps one huge value from pinning its buffer in the pool.
const maxPooledBuffer = 64 << 10

type buffer struct{ b []byte }

// bufferPool recycles envelope buffers. It is safe because providers must not
// retain a value after Set returns (see driver.Provider).
type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) get() *buffer {
	if b, ok := p.pool.Get().(*buffer); ok {
		return b
	}
	return &buffer{b: make([]byte, 0, 256)}
}

func (p *bufferPool) put(b *buffer) {
	if cap(b.b) > maxPooledBuffer {
		return
	}
	p.pool.Put(b)
}
