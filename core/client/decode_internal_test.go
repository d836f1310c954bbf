package client

import (
	"strings"
	"testing"

	"github.com/kfk-dev/kfk/core/compress"
	"github.com/kfk-dev/kfk/core/wire"
)

// A batch whose bytes changed after it was checksummed fails its CRC check
// by default; with check_crcs off its records are handed over as they came.
func TestDecodeBatchesChecksCRCsUnlessTurnedOff(t *testing.T) {
	damaged := RecordBatch(t, 0, 3, compress.None, "v")
	damaged[len(damaged)-2] = '9' // the last value's last byte ("v2" becomes "v9"); its header count follows
	if _, _, err := decodeBatches("t", 0, damaged, wire.NewAbortedFilter(nil), 0, nil, true); err == nil ||
		!strings.Contains(err.Error(), "CRC mismatch") {
		t.Fatalf("checked: want a CRC mismatch, got %v", err)
	}
	msgs, next, err := decodeBatches("t", 0, damaged, wire.NewAbortedFilter(nil), 0, nil, false)
	if err != nil || next != 3 || len(msgs) != 3 {
		t.Fatalf("unchecked: %d records up to %d, %v; want 3 up to 3", len(msgs), next, err)
	}
	if got, want := string(msgs[2].Value), "v9"; got != want {
		t.Fatalf("unchecked: the damaged value is %q, want %q as it came", got, want)
	}
}

// check_crcs (librdkafka's check.crcs) is on unless turned off.
func TestCheckCRCsOption(t *testing.T) {
	if !NewConfig().CheckCRCs {
		t.Fatal("check_crcs is off by default")
	}
	for _, key := range []string{"check_crcs", "check.crcs"} {
		c := NewConfig()
		if err := c.Set(key, "false"); err != nil || c.CheckCRCs {
			t.Fatalf("%s=false: CheckCRCs %v, %v", key, c.CheckCRCs, err)
		}
	}
}
