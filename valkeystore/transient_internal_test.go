package valkeystore

import (
	"errors"
	"testing"
	"time"

	"github.com/valkey-io/valkey-go"
)

// A slot found without a node is waited for during the grace, then fails
// at once but for one probe per interval, and any answer heals it.
func TestSlotHolesGraceAndProbes(t *testing.T) {
	var h slotHoles
	const s = 42
	t0 := time.Now().UnixNano()
	if send, retry := h.admit(s, t0); !send || !retry {
		t.Fatal("a slot never found without a node must be sent and retried")
	}
	h.record(s, valkey.ErrNoSlot, t0)
	if !h.known(s) || h.known(s+1) {
		t.Fatal("only the slot refused for want of a node is a hole")
	}
	if send, retry := h.admit(s, t0+int64(holeGrace)/2); !send || !retry || !h.young(s, t0+int64(holeGrace)/2) {
		t.Fatal("within the grace a hole's commands are sent and retried")
	}
	late := t0 + int64(holeGrace) + 1
	if send, retry := h.admit(s, late); !send || retry {
		t.Fatal("past the grace the first command is the probe: sent, not retried")
	}
	if send, _ := h.admit(s, late+1); send {
		t.Fatal("a second command within the probe interval was sent")
	}
	if send, _ := h.admit(s, late+int64(holeProbeEvery)); !send {
		t.Fatal("no probe one interval later")
	}
	if h.young(s, late) {
		t.Fatal("a hole past the grace is still retried")
	}
	h.record(s, errors.New("valkeystore: no reply within the provider's timeout"), late)
	if !h.known(s) {
		t.Fatal("an error that says nothing of the slot healed it")
	}
	h.record(s, &valkey.ValkeyError{}, late)
	if h.known(s) || h.count.Load() != 0 {
		t.Fatal("a reply did not heal the hole")
	}
	if send, retry := h.admit(s, late+1); !send || !retry {
		t.Fatal("a healed slot is not sent as any other")
	}
}
