package bench

import "github.com/valcache/valcache/internal/benchutil"

const keyCount = benchutil.KeyCount

var (
	benchKeys  = benchutil.Keys
	runAt      = benchutil.RunAt
	sideBySide = benchutil.SideBySide
)
