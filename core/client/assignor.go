package client

import (
	"maps"
	"slices"
	"sort"
)

// memberSub is one member's subscription as the group leader sees it.
type memberSub struct {
	id     string
	topics []string
	owned  map[string][]int32 // partitions it owned last generation (sticky)
}

// assignPartitions divides the partitions of the subscribed topics among
// members with the protocol the coordinator chose: range (per topic,
// contiguous ranges), roundrobin (all partitions dealt in turn), or sticky
// (balanced like roundrobin, but partitions stay with their previous owner
// while that owner is under its fair share).
func assignPartitions(protocol *string, members []memberSub, counts map[string]int) map[string]map[string][]int32 {
	name := "sticky"
	if protocol != nil {
		name = *protocol
	}
	sort.Slice(members, func(i, j int) bool { return members[i].id < members[j].id })
	plan := map[string]map[string][]int32{}
	for _, m := range members {
		plan[m.id] = map[string][]int32{}
	}
	subscribed := func(m memberSub, topic string) bool {
		for _, t := range m.topics {
			if t == topic {
				return true
			}
		}
		return false
	}
	topics := slices.Sorted(maps.Keys(counts))
	if name == "range" {
		for _, t := range topics {
			var subs []memberSub
			for _, m := range members {
				if subscribed(m, t) {
					subs = append(subs, m)
				}
			}
			if len(subs) == 0 {
				continue
			}
			n := counts[t]
			per, extra := n/len(subs), n%len(subs)
			next := 0
			for i, m := range subs {
				take := per
				if i < extra {
					take++
				}
				for p := next; p < next+take; p++ {
					plan[m.id][t] = append(plan[m.id][t], int32(p))
				}
				next += take
			}
		}
		return plan
	}

	type part struct {
		topic string
		p     int32
	}
	var all []part
	for _, t := range topics {
		for p := 0; p < counts[t]; p++ {
			all = append(all, part{t, int32(p)})
		}
	}
	load := map[string]int{}
	taken := map[part]bool{}
	if name == "sticky" {
		// Each member keeps what it owned up to its fair share (total /
		// members, plus one for the first total % members that can).
		floor, extra := len(all)/max(len(members), 1), len(all)%max(len(members), 1)
		keep := func(m memberSub, limit int) {
			for _, t := range slices.Sorted(maps.Keys(m.owned)) {
				for _, p := range m.owned[t] {
					k := part{t, p}
					if load[m.id] >= limit || taken[k] || int(p) >= counts[t] || !subscribed(m, t) {
						continue
					}
					taken[k] = true
					plan[m.id][t] = append(plan[m.id][t], p)
					load[m.id]++
				}
			}
		}
		for _, m := range members {
			keep(m, floor)
		}
		for _, m := range members {
			if extra > 0 && load[m.id] == floor {
				before := load[m.id]
				keep(m, floor+1)
				if load[m.id] > before {
					extra--
				}
			}
		}
	}
	// Deal the rest: each partition to the least-loaded subscribed member.
	for _, k := range all {
		if taken[k] {
			continue
		}
		best := ""
		for _, m := range members {
			if subscribed(m, k.topic) && (best == "" || load[m.id] < load[best]) {
				best = m.id
			}
		}
		if best == "" {
			continue
		}
		plan[best][k.topic] = append(plan[best][k.topic], k.p)
		load[best]++
	}
	for _, byTopic := range plan {
		for t := range byTopic {
			sort.Slice(byTopic[t], func(i, j int) bool { return byTopic[t][i] < byTopic[t][j] })
		}
	}
	return plan
}
