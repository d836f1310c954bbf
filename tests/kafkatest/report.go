package kafkatest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Figure is one line of docs/RELIABILITY.md: what a test checked, in
// numbers.
type Figure struct {
	Area    string           `json:"area"`    // section of the report, e.g. "fault proxy"
	Test    string           `json:"test"`    // the Go test name
	What    string           `json:"what"`    // one sentence: what was done and checked
	Figures map[string]int64 `json:"figures"` // counts: messages checked, faults injected, ...
}

// Report records f for docs/RELIABILITY.md when KFK_REPORT_DIR names a
// folder (make reliability-report sets it); otherwise it only logs. Tests
// call it after their checks passed, so a figure always stands for a pass.
func Report(tb testing.TB, area, what string, figures map[string]int64) {
	tb.Helper()
	f := Figure{Area: area, Test: tb.Name(), What: what, Figures: figures}
	tb.Logf("%s: %v", what, figures)
	dir := os.Getenv("KFK_REPORT_DIR")
	if dir == "" || tb.Failed() {
		return
	}
	b, err := json.Marshal(f)
	if err != nil {
		tb.Fatal(err)
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(tb.Name()) + ".json"
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		tb.Fatal(err)
	}
}
