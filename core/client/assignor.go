package client

import (
	"maps"
	"slices"
)

// memberSub is one member's subscription as the group leader sees it.
type memberSub struct {
	id     string
	topics []string
	owned  map[string][]int32 // partitions it owned last generation (sticky)
}

func (m memberSub) subscribes(topic string) bool { return slices.Contains(m.topics, topic) }

// assignmentPlan is member id -> topic -> partitions, each list sorted.
type assignmentPlan map[string]map[string][]int32

// assignor divides the partitions of the subscribed topics (counts: topic
// -> partitions) among members, sorted by id. The group leader runs the
// one the coordinator chose among those every member offered.
type assignor interface {
	assign(members []memberSub, counts map[string]int) assignmentPlan
}

// assignors by protocol name, in the order they are listed; an eager
// member offers the eager ones after those it was given, so it finds
// common ground with Java and librdkafka members (whose default list is
// range, cooperative-sticky).
var (
	assignors = map[string]assignor{"sticky": stickyAssignor{}, "range": rangeAssignor{}, "roundrobin": roundRobinAssignor{},
		cooperativeSticky: cooperativeStickyAssignor{}}
	assignorOrder  = []string{"sticky", "range", "roundrobin", cooperativeSticky}
	eagerAssignors = []string{"sticky", "range", "roundrobin"}
)

// cooperativeSticky is the KIP-429 assignor: a member whose assignors are
// all cooperative gives up only the partitions that move, and keeps
// consuming the others through a rebalance.
const cooperativeSticky = "cooperative-sticky"

// assignPartitions runs the assignor named protocol (sticky when the
// coordinator named none).
func assignPartitions(protocol *string, members []memberSub, counts map[string]int) assignmentPlan {
	name := "sticky"
	if protocol != nil {
		name = *protocol
	}
	a, ok := assignors[name]
	if !ok {
		a = assignors["sticky"]
	}
	members = slices.Clone(members)
	slices.SortFunc(members, func(x, y memberSub) int {
		switch {
		case x.id < y.id:
			return -1
		case x.id > y.id:
			return 1
		}
		return 0
	})
	plan := a.assign(members, counts)
	for _, byTopic := range plan {
		for _, parts := range byTopic {
			slices.Sort(parts)
		}
	}
	return plan
}

func newPlan(members []memberSub) assignmentPlan {
	plan := assignmentPlan{}
	for _, m := range members {
		plan[m.id] = map[string][]int32{}
	}
	return plan
}

// rangeAssignor gives each member a contiguous range of every topic it
// subscribes to, the first members one more when a topic does not divide.
type rangeAssignor struct{}

func (rangeAssignor) assign(members []memberSub, counts map[string]int) assignmentPlan {
	plan := newPlan(members)
	for _, t := range slices.Sorted(maps.Keys(counts)) {
		var subs []memberSub
		for _, m := range members {
			if m.subscribes(t) {
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

// topicPartition is one partition of a topic, for the dealing assignors.
type topicPartition struct {
	topic string
	p     int32
}

// dealer hands out partitions, each to the least-loaded member that
// subscribes to its topic.
type dealer struct {
	plan  assignmentPlan
	load  map[string]int
	taken map[topicPartition]bool
}

func newDealer(members []memberSub) *dealer {
	return &dealer{plan: newPlan(members), load: map[string]int{}, taken: map[topicPartition]bool{}}
}

func (d *dealer) give(member string, k topicPartition) {
	d.taken[k] = true
	d.plan[member][k.topic] = append(d.plan[member][k.topic], k.p)
	d.load[member]++
}

// dealRest gives every partition not taken yet to the least-loaded
// subscribed member (the first such by id on a tie).
func (d *dealer) dealRest(members []memberSub, all []topicPartition) {
	for _, k := range all {
		if d.taken[k] {
			continue
		}
		best := ""
		for _, m := range members {
			if m.subscribes(k.topic) && (best == "" || d.load[m.id] < d.load[best]) {
				best = m.id
			}
		}
		if best != "" {
			d.give(best, k)
		}
	}
}

// allPartitions lists every partition of counts' topics in topic order.
func allPartitions(counts map[string]int) []topicPartition {
	var all []topicPartition
	for _, t := range slices.Sorted(maps.Keys(counts)) {
		for p := 0; p < counts[t]; p++ {
			all = append(all, topicPartition{t, int32(p)})
		}
	}
	return all
}

// roundRobinAssignor deals all partitions in turn, balancing the count
// each member gets.
type roundRobinAssignor struct{}

func (roundRobinAssignor) assign(members []memberSub, counts map[string]int) assignmentPlan {
	d := newDealer(members)
	d.dealRest(members, allPartitions(counts))
	return d.plan
}

// stickyAssignor balances like roundrobin, but a partition stays with its
// previous owner while that owner is under its fair share (the total over
// the members, plus one for the first total % members that can).
type stickyAssignor struct{}

func (stickyAssignor) assign(members []memberSub, counts map[string]int) assignmentPlan {
	d := newDealer(members)
	all := allPartitions(counts)
	floor, extra := len(all)/max(len(members), 1), len(all)%max(len(members), 1)
	keep := func(m memberSub, limit int) {
		for _, t := range slices.Sorted(maps.Keys(m.owned)) {
			for _, p := range m.owned[t] {
				k := topicPartition{t, p}
				if d.load[m.id] >= limit || d.taken[k] || int(p) >= counts[t] || !m.subscribes(t) {
					continue
				}
				d.give(m.id, k)
			}
		}
	}
	for _, m := range members {
		keep(m, floor)
	}
	for _, m := range members {
		if extra > 0 && d.load[m.id] == floor {
			before := d.load[m.id]
			keep(m, floor+1)
			if d.load[m.id] > before {
				extra--
			}
		}
	}
	d.dealRest(members, all)
	return d.plan
}

// cooperativeStickyAssignor is sticky, except that a partition moving from
// one member to another is given to nobody in this generation: its owner
// first gives it up (and commits), then rejoins, and the next assignment
// hands it to its new member (KIP-429). No partition is ever consumed by
// two members at once.
type cooperativeStickyAssignor struct{}

func (cooperativeStickyAssignor) assign(members []memberSub, counts map[string]int) assignmentPlan {
	plan := stickyAssignor{}.assign(members, counts)
	owner := map[topicPartition]string{}
	for _, m := range members {
		for t, parts := range m.owned {
			for _, p := range parts {
				owner[topicPartition{t, p}] = m.id
			}
		}
	}
	for id, byTopic := range plan {
		for t, parts := range byTopic {
			byTopic[t] = slices.DeleteFunc(parts, func(p int32) bool {
				prev, owned := owner[topicPartition{t, p}]
				return owned && prev != id
			})
		}
	}
	return plan
}
