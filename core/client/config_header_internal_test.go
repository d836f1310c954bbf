package client

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The option table in include/kfk.h is the options' manual: every option
// core knows is listed there, and every name and alias listed is one core
// accepts.
func TestHeaderOptionTableMatchesCore(t *testing.T) {
	header, err := os.ReadFile("../../include/kfk.h")
	if err != nil {
		t.Fatal(err)
	}
	text := string(header)
	start := strings.Index(text, "String key/value options")
	end := strings.Index(text, "Logs are never printed")
	if start < 0 || end < start {
		t.Fatal("kfk.h: the option table was not found")
	}
	// An option line is " *   names  ...": its first column holds the
	// names, librdkafka/Java aliases in parentheses, then maybe a value.
	line := regexp.MustCompile(`(?m)^ \*   (\S.*)$`)
	paren := regexp.MustCompile(`\(([^)]*)\)`)
	listed, aliased := map[string]bool{}, map[string]bool{}
	for _, m := range line.FindAllStringSubmatch(text[start:end], -1) {
		first := regexp.MustCompile(`\s{2,}`).Split(m[1], 2)[0]
		for _, p := range paren.FindAllStringSubmatch(first, -1) {
			for _, a := range strings.Split(p[1], ",") {
				aliased[strings.TrimSpace(a)] = true
			}
		}
		for _, piece := range strings.Split(paren.ReplaceAllString(first, ""), ",") {
			if fields := strings.Fields(piece); len(fields) > 0 {
				listed[fields[0]] = true
			}
		}
	}
	for key := range options {
		if !listed[key] {
			t.Errorf("option %q is missing from kfk.h's option table", key)
		}
	}
	for name := range listed {
		if _, ok := options[name]; !ok && special[name] == nil {
			t.Errorf("kfk.h lists %q, which core does not accept", name)
		}
	}
	for alias := range aliased {
		if _, ok := aliases[alias]; !ok && special[alias] == nil {
			t.Errorf("kfk.h gives the alias %q, which core does not accept", alias)
		}
	}
	if names := slices.Sorted(maps.Keys(listed)); len(names) < 10 || !slices.Contains(names, "brokers") {
		t.Fatalf("kfk.h's option table read wrongly: %v", names)
	}
}
