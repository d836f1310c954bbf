package kerr

import (
	"fmt"
	"testing"
)

func TestNames(t *testing.T) {
	for code, want := range map[int16]string{
		-1: "UNKNOWN_SERVER_ERROR", 0: "NONE", 3: "UNKNOWN_TOPIC_OR_PARTITION", 6: "NOT_LEADER_OR_FOLLOWER",
		15: "COORDINATOR_NOT_AVAILABLE", 16: "NOT_COORDINATOR", 22: "ILLEGAL_GENERATION", 25: "UNKNOWN_MEMBER_ID",
		27: "REBALANCE_IN_PROGRESS", 36: "TOPIC_ALREADY_EXISTS", 45: "OUT_OF_ORDER_SEQUENCE_NUMBER",
		46: "DUPLICATE_SEQUENCE_NUMBER", 79: "MEMBER_ID_REQUIRED", 90: "PRODUCER_FENCED", 999: "UNKNOWN_ERROR_CODE_999",
	} {
		if got := Name(code); got != want {
			t.Errorf("Name(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestTableIsOrderedAndUnique(t *testing.T) {
	all := All()
	names := map[string]bool{}
	for i, e := range all {
		if i > 0 && e.Code <= all[i-1].Code {
			t.Fatalf("code %d out of order", e.Code)
		}
		if names[e.Name] || e.Name == "" || e.Description == "" {
			t.Fatalf("bad entry %+v", e)
		}
		names[e.Name] = true
	}
	if len(all) < 130 {
		t.Fatalf("only %d codes", len(all))
	}
}

func TestRetriable(t *testing.T) {
	if !IsRetriable(fmt.Errorf("produce: %w", ForCode(6))) {
		t.Error("NOT_LEADER_OR_FOLLOWER should be retriable")
	}
	if IsRetriable(ForCode(36)) || IsRetriable(nil) {
		t.Error("TOPIC_ALREADY_EXISTS and nil are not retriable")
	}
	if ForCode(0) != nil {
		t.Error("code 0 is not an error")
	}
}
