package faultproxy

import (
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// rewriteAddresses returns frame with every broker address in a Metadata,
// FindCoordinator or DescribeCluster response replaced by the proxy's
// address for that broker. Other responses, and ones that do not decode,
// are left alone.
func (p *Proxy) rewriteAddresses(key, version int16, frame []byte) ([]byte, bool) {
	resp := kmsg.ResponseForKey(key)
	if resp == nil {
		return frame, false
	}
	switch resp.(type) {
	case *kmsg.MetadataResponse, *kmsg.FindCoordinatorResponse, *kmsg.DescribeClusterResponse:
	default:
		return frame, false
	}
	resp.SetVersion(version)
	body, ok := skipHeader(frame[4:], resp.IsFlexible())
	if !ok || resp.ReadFrom(body) != nil {
		return frame, false
	}
	switch r := resp.(type) {
	case *kmsg.MetadataResponse:
		for i := range r.Brokers {
			b := &r.Brokers[i]
			b.Host, b.Port, ok = p.proxyAddr(b.Host, b.Port)
		}
	case *kmsg.FindCoordinatorResponse:
		if r.Host != "" {
			r.Host, r.Port, ok = p.proxyAddr(r.Host, r.Port)
		}
		for i := range r.Coordinators {
			c := &r.Coordinators[i]
			if c.Host != "" {
				c.Host, c.Port, ok = p.proxyAddr(c.Host, c.Port)
			}
		}
	case *kmsg.DescribeClusterResponse:
		for i := range r.Brokers {
			b := &r.Brokers[i]
			b.Host, b.Port, ok = p.proxyAddr(b.Host, b.Port)
		}
	}
	if !ok {
		return frame, false
	}
	out := append([]byte(nil), frame[:4]...) // correlation ID
	if resp.IsFlexible() {
		out = append(out, 0) // no header tags
	}
	return resp.AppendTo(out), true
}

// skipHeader skips the tagged fields of a flexible response header.
func skipHeader(b []byte, flexible bool) ([]byte, bool) {
	if !flexible {
		return b, true
	}
	n, used := binary.Uvarint(b)
	if used <= 0 {
		return nil, false
	}
	b = b[used:]
	for i := uint64(0); i < n; i++ {
		if _, used = binary.Uvarint(b); used <= 0 {
			return nil, false
		}
		b = b[used:]
		size, used := binary.Uvarint(b)
		if used <= 0 || size > uint64(len(b)-used) {
			return nil, false
		}
		b = b[used+int(size):]
	}
	return b, true
}
