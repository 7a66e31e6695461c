package codec

import (
	"testing"
	"time"
)

// user is a small struct whose encodings are around 100 bytes.
type user struct {
	ID      int64     `json:"id"`
	Name    string    `json:"name"`
	Email   string    `json:"email"`
	Active  bool      `json:"active"`
	Score   float64   `json:"score"`
	Roles   []string  `json:"roles"`
	Created time.Time `json:"created"`
}

func benchUser() user {
	return user{
		ID: 123456789, Name: "Ada Lovelace", Email: "ada@example.com", Active: true,
		Score: 98.6, Roles: []string{"admin", "dev"}, Created: time.Unix(1700000000, 0).UTC(),
	}
}

func benchValue(c Codec) any {
	if c.ID() == IDRaw {
		return make([]byte, 100)
	}
	return benchUser()
}

func BenchmarkAppend(b *testing.B) {
	for _, c := range allCodecs() {
		b.Run(c.Name(), func(b *testing.B) {
			v := benchValue(c)
			dst := make([]byte, 0, 4096)
			data, _ := c.Append(nil, v)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Append(dst[:0], v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range allCodecs() {
		b.Run(c.Name(), func(b *testing.B) {
			data, err := c.Append(nil, benchValue(c))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if c.ID() == IDRaw {
					var out []byte
					if err := c.Decode(data, &out); err != nil {
						b.Fatal(err)
					}
					continue
				}
				var out user
				if err := c.Decode(data, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
