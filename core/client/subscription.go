package client

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kfk-dev/kfk/core/obs"
)

// patternPrefix marks a subscribed "topic" that is a regular expression
// (RE2 syntax) matched against the cluster's topic names, as librdkafka
// and confluent-kafka spell it: "^orders-.*".
const patternPrefix = "^"

// subscription is what a group member asked for: topic names, and
// patterns matched against the cluster's topics (internal ones, such as
// __consumer_offsets, only when named).
type subscription struct {
	names    []string
	patterns []string
	pattern  *regexp.Regexp // the patterns as one expression; nil without any
}

func parseSubscription(topics []string) (subscription, error) {
	var s subscription
	for _, t := range topics {
		if strings.HasPrefix(t, patternPrefix) {
			s.patterns = append(s.patterns, t)
		} else {
			s.names = append(s.names, t)
		}
	}
	if len(s.patterns) == 0 {
		return s, nil
	}
	re, err := regexp.Compile(s.expression(false))
	if err != nil {
		return s, &ConfigError{Key: "topics", Value: strings.Join(s.patterns, ","),
			Reason: fmt.Sprintf("not a regular expression: %v", err)}
	}
	s.pattern = re
	return s, nil
}

// expression is the patterns as one regular expression; withNames adds the
// names as exact matches (KIP-848 takes one expression for both).
func (s subscription) expression(withNames bool) string {
	parts := make([]string, 0, len(s.patterns)+1)
	for _, p := range s.patterns {
		parts = append(parts, "(?:"+p+")")
	}
	if withNames && len(s.names) > 0 {
		quoted := make([]string, len(s.names))
		for i, n := range s.names {
			quoted[i] = regexp.QuoteMeta(n)
		}
		parts = append(parts, "^(?:"+strings.Join(quoted, "|")+")$")
	}
	return strings.Join(parts, "|")
}

// match is the topics subscribed to in m: the names, and every
// non-internal topic a pattern matches; sorted.
func (s subscription) match(m *metadata) []string {
	set := map[string]bool{}
	for _, n := range s.names {
		set[n] = true
	}
	if s.pattern != nil && m != nil {
		for name, t := range m.topics {
			if !t.internal && t.err == 0 && s.pattern.MatchString(name) {
				set[name] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// patternRefresh is how often a member with a pattern looks for topics
// that appeared or went: the client's metadata refresh interval, or five
// minutes without one (librdkafka's and Java's default).
func (g *group) patternRefresh() time.Duration {
	if r := g.c.cfg.MetadataRefresh; r > 0 {
		return r
	}
	return 5 * time.Minute
}

// resolveTopics works out the topics the member subscribes to now (a
// pattern needs the metadata of every topic), refreshes their metadata,
// and returns them. Refreshes cover them while they are the client's
// subscription (see setSubscribed), and no longer once it ends: a
// client that left a group neither keeps asking for those topics nor,
// where brokers create topics asked for, brings a deleted one back.
func (g *group) resolveTopics() []string {
	var m *metadata
	if g.sub.pattern != nil {
		m, _ = g.c.allTopicsNow()
	}
	topics := g.sub.match(m)
	g.mu.Lock()
	g.topics, g.resolvedAt = topics, time.Now()
	g.mu.Unlock()
	g.c.setSubscribed(g, topics)
	g.c.refreshMetadata(nil, nil)
	return topics
}

// currentTopics is what resolveTopics last found.
func (g *group) currentTopics() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.topics
}

// subscriptionChanged reports, for a member with a pattern, whether the
// topics it matches changed since it joined (looked at every
// patternRefresh): the member then joins again with its new subscription.
func (g *group) subscriptionChanged() bool {
	g.mu.Lock()
	due := g.sub.pattern != nil && time.Since(g.resolvedAt) >= g.patternRefresh()
	before := g.topics
	g.mu.Unlock()
	if !due {
		return false
	}
	if now := g.resolveTopics(); !slices.Equal(now, before) {
		g.c.log.Infof(obs.Group, "group %s: the subscribed patterns now match %v (were %v): rebalancing",
			g.opts.GroupID, now, before)
		return true
	}
	return false
}
