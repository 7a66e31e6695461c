package testserver

import (
	"errors"
	"fmt"
	"testing"
)

// recordingTB captures Fatalf/Skipf instead of ending the test.
type recordingTB struct {
	testing.TB
	fatal, skip string
}

func (r *recordingTB) Helper()                      {}
func (r *recordingTB) Fatalf(f string, args ...any) { r.fatal = fmt.Sprintf(f, args...) }
func (r *recordingTB) Skipf(f string, args ...any)  { r.skip = fmt.Sprintf(f, args...) }

func TestRequire(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		ci       string
		err      error
		fail, sk bool
	}{
		{"true", boom, true, false},
		{"", boom, false, true},
		{"false", boom, false, true},
		{"true", nil, false, false},
	} {
		t.Setenv("CI", tc.ci)
		r := &recordingTB{}
		Require(r, tc.err)
		if (r.fatal != "") != tc.fail || (r.skip != "") != tc.sk {
			t.Errorf("CI=%q err=%v: fatal=%q skip=%q", tc.ci, tc.err, r.fatal, r.skip)
		}
	}
}
