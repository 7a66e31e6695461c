package envelope

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/transform"
)

// Info is what Describe reads from a stored entry: everything its envelope
// says, and its value when that can be shown without the caller's types or
// secrets. It is for tools that look at a store from outside, such as the
// valcache command's inspect.
type Info struct {
	Format    byte   // envelope layout version
	Flags     byte   // raw flag bits
	Codec     byte   // codec id of the payload
	CodecName string // the built-in codec's name, or "codec <id>"

	// Stamps are the versions the entry was written under: the namespace's
	// first (Tag ""), then one per tag. An entry is current while every
	// stamp equals the version now stored.
	Stamps []Stamp

	// Written and FreshFor are set when the cache keeps times (stale serving
	// or refresh-ahead); zero otherwise.
	Written  time.Time
	FreshFor time.Duration

	// Negative marks a recorded absence: the source had no value.
	Negative bool

	// Transforms are the ids of the transformers the payload went through,
	// in the order applied, and TransformNames their names.
	Transforms     []byte
	TransformNames []string

	// PayloadBytes is the size of the payload as stored (after transformers).
	PayloadBytes int

	// Value is the payload as JSON when it could be decoded generically:
	// JSON and msgpack payloads as their data, raw payloads as a JSON string
	// (valid UTF-8) or as a hex string (other bytes). Empty otherwise, with
	// ValueNote saying why.
	Value     string
	ValueNote string
}

// maxDescribedValue bounds the size of Info.Value built from a payload;
// longer values are cut and the cut noted.
const maxDescribedValue = 64 << 10

// Describe parses bytes as stored by a cache (a provider's value for an
// entry key). It never panics; bytes that are not an entry are an error
// wrapping ErrCorrupt. A payload that cannot be decoded generically is not
// an error: Info.ValueNote says why Value is empty.
func Describe(b []byte) (Info, error) {
	env, err := Parse(b)
	if err != nil {
		return Info{}, err
	}
	info := Info{
		Format:       b[0],
		Flags:        b[1],
		Codec:        env.Codec,
		CodecName:    "codec " + strconv.Itoa(int(env.Codec)),
		Stamps:       env.StampList(),
		Written:      env.Meta.Written,
		FreshFor:     env.Meta.FreshFor,
		Negative:     env.Meta.Negative,
		PayloadBytes: len(env.Payload),
	}
	c, known := codec.ByID(env.Codec)
	if known {
		info.CodecName = c.Name()
	}
	for _, id := range env.Transforms {
		info.Transforms = append(info.Transforms, id)
		info.TransformNames = append(info.TransformNames, transformName(id))
	}
	switch {
	case info.Negative:
		info.ValueNote = "a recorded absence: no value"
	case len(env.Transforms) > 0:
		info.ValueNote = "transformed; reading it needs the cache's transformers"
	case !known:
		info.ValueNote = "written by a codec that is not built in"
	default:
		info.Value, info.ValueNote = describePayload(env.Codec, c, env.Payload)
	}
	return info, nil
}

func transformName(id byte) string {
	switch id {
	case transform.IDZstd:
		return "zstd"
	case transform.IDAESGCM:
		return "aes-gcm"
	}
	return "transformer " + strconv.Itoa(int(id))
}

// describePayload renders a payload of a built-in codec as JSON.
func describePayload(id byte, c codec.Codec, p []byte) (value, note string) {
	var out []byte
	switch id {
	case codec.IDRaw:
		if utf8.Valid(p) {
			out, _ = json.Marshal(string(p))
		} else {
			out = strconv.AppendQuote(nil, fmt.Sprintf("%x", p))
			note = "binary; shown as hex"
		}
	case codec.IDJSON:
		var buf bytes.Buffer
		if err := json.Compact(&buf, p); err != nil {
			return "", "not valid JSON: " + err.Error()
		}
		out = buf.Bytes()
	case codec.IDMsgpack:
		var v any
		if err := c.Decode(p, &v); err != nil {
			return "", err.Error()
		}
		var err error
		if out, err = json.Marshal(jsonable(v, 0)); err != nil {
			return "", "cannot be shown as JSON: " + err.Error()
		}
	default:
		return "", c.Name() + " payloads need the Go type they were written from"
	}
	if len(out) > maxDescribedValue {
		return string(out[:maxDescribedValue]), fmt.Sprintf("cut at %d of %d bytes", maxDescribedValue, len(out))
	}
	return string(out), note
}

// maxJSONDepth bounds jsonable's recursion; the msgpack decoder bounds
// nesting too, this only keeps the walk from trusting it.
const maxJSONDepth = 64

// jsonable turns what msgpack decodes into `any` into values encoding/json
// accepts: maps with keys other than strings get their keys formatted, and
// byte slices become strings when they are text.
func jsonable(v any, depth int) any {
	if depth > maxJSONDepth {
		return "…"
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e, depth+1)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonable(e, depth+1)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = jsonable(e, depth+1)
		}
		return x
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return fmt.Sprintf("%x", x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case float32:
		return finite(float64(x))
	case float64:
		return finite(x)
	}
	return v
}

// finite keeps NaN and infinities, which JSON cannot hold, as text.
func finite(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return f
}
