package client

import (
	"fmt"
	"testing"
)

func TestAssignors(t *testing.T) {
	members := []memberSub{{id: "a", topics: []string{"t", "u"}}, {id: "b", topics: []string{"t", "u"}}, {id: "c", topics: []string{"t"}}}
	counts := map[string]int{"t": 7, "u": 2}
	for _, name := range []string{"range", "roundrobin", "sticky"} {
		plan := assignPartitions(&name, members, counts)
		seen := map[string]bool{}
		loads := map[string]int{}
		for id, byTopic := range plan {
			for topic, parts := range byTopic {
				for _, p := range parts {
					key := fmt.Sprintf("%s/%d", topic, p)
					if seen[key] {
						t.Fatalf("%s: %s assigned twice", name, key)
					}
					seen[key] = true
					loads[id]++
					if topic == "u" && id == "c" {
						t.Fatalf("%s: c got a topic it did not subscribe to", name)
					}
				}
			}
		}
		if len(seen) != 9 {
			t.Fatalf("%s: %d of 9 partitions assigned", name, len(seen))
		}
		if name != "range" && (loads["a"] < 3 || loads["b"] < 3 || loads["c"] < 2) {
			t.Fatalf("%s: unbalanced %v", name, loads)
		}
	}
	// Range: contiguous per topic.
	r := "range"
	plan := assignPartitions(&r, members[:2], map[string]int{"t": 5})
	if fmt.Sprint(plan["a"]["t"], plan["b"]["t"]) != "[0 1 2] [3 4]" {
		t.Fatalf("range %v", plan)
	}
	// Sticky: previous owners keep their share.
	s := "sticky"
	prev := []memberSub{{id: "a", topics: []string{"t"}, owned: map[string][]int32{"t": {0, 1, 2}}},
		{id: "b", topics: []string{"t"}, owned: map[string][]int32{"t": {3, 4, 5}}}, {id: "c", topics: []string{"t"}}}
	plan = assignPartitions(&s, prev, map[string]int{"t": 6})
	if len(plan["a"]["t"]) != 2 || len(plan["b"]["t"]) != 2 || len(plan["c"]["t"]) != 2 ||
		plan["a"]["t"][0] != 0 || plan["b"]["t"][0] != 3 {
		t.Fatalf("sticky %v", plan)
	}
}
