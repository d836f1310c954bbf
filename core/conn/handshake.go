package conn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// handshakeFrameLimit bounds any one response read before the connection is
// ready: nothing legitimate during the handshake comes near it, and a
// hostile server cannot make us allocate more.
const handshakeFrameLimit = 1 << 20

// SoftwareName and SoftwareVersion are sent in ApiVersions (KIP-511).
const (
	SoftwareName    = "kfk"
	SoftwareVersion = "0.4.0"
)

// handshake resolves, dials, runs TLS, negotiates versions and
// authenticates, returning a session ready to start. It runs on the
// attempt's own goroutine.
func handshake(c *Conn, attempt uint64, opts Options, host string, port int, timeout time.Duration) (*session, error) {
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	nc, err := dial(ctx, c, attempt, host, port)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	if opts.TLS != nil {
		c.setState(attempt, TLSHandshake)
		cfg := opts.TLS.Clone()
		if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
			cfg.ServerName = host
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("%w: %s: %v", ErrTLS, addr, err)
		}
		nc = tc
	}
	s := newSession(c, nc, opts, host)
	hs := &handshaker{s: s}
	c.setState(attempt, Handshake)
	if err := hs.apiVersions(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	if opts.SASL != nil {
		c.setState(attempt, Authenticate)
		auth := &authenticator{do: hs.do, host: host}
		if err := auth.authenticate(opts.SASL.current()); err != nil {
			nc.Close()
			return nil, fmt.Errorf("%s: %w", addr, err)
		}
		s.sessionLifetime = auth.lifetime
	}
	nc.SetDeadline(time.Time{})
	s.nextCorr = hs.corr
	return s, nil
}

// dial resolves host (in Go, off the caller's thread) and connects to the
// first of its addresses that answers, for connect attempt attempt.
func dial(ctx context.Context, c *Conn, attempt uint64, host string, port int) (net.Conn, error) {
	c.setState(attempt, Resolving)
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("%w: resolve %s: %v", ErrConnect, host, err)
	}
	c.setState(attempt, Connecting)
	var nc net.Conn
	var dialErr error
	d := net.Dialer{KeepAlive: 30 * time.Second}
	for _, ip := range ips {
		nc, dialErr = d.DialContext(ctx, "tcp", net.JoinHostPort(ip.IP.String(), strconv.Itoa(port)))
		if dialErr == nil {
			break
		}
	}
	if nc == nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrConnect, net.JoinHostPort(host, strconv.Itoa(port)), dialErr)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	if !c.current(attempt) {
		nc.Close()
		return nil, ErrDisconnected
	}
	return nc, nil
}

// handshaker runs requests one at a time on a fresh session before its
// I/O loops start.
type handshaker struct {
	s    *session
	corr int32
}

// roundTrip writes req (version already set) and reads its response body.
func (h *handshaker) roundTrip(req kmsg.Request) ([]byte, error) {
	corr := h.corr
	h.corr++
	if _, err := h.s.nc.Write(h.s.format.AppendRequest(nil, req, corr)); err != nil {
		return nil, fmt.Errorf("%w: write %s: %v", ErrDisconnected, kmsg.NameForKey(req.Key()), err)
	}
	body, err := readFrame(h.s.nc, handshakeFrameLimit)
	if err != nil {
		if errors.Is(err, ErrProtocol) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: reading %s response: %v", ErrDisconnected, kmsg.NameForKey(req.Key()), err)
	}
	if len(body) < 4 || int32(uint32(body[0])<<24|uint32(body[1])<<16|uint32(body[2])<<8|uint32(body[3])) != corr {
		return nil, fmt.Errorf("%w: bad correlation in %s response", ErrProtocol, kmsg.NameForKey(req.Key()))
	}
	body = body[4:]
	if req.Key() != apiVersionsKey && req.IsFlexible() {
		return skipTags(body)
	}
	return body, nil
}

// do sends req at the negotiated version and decodes the response.
func (h *handshaker) do(req kmsg.Request) (kmsg.Response, error) {
	v, err := h.s.versions.choose(req.Key(), req.MaxVersion(), h.s.opts.MaxVersions)
	if err != nil {
		return nil, err
	}
	req.SetVersion(v)
	body, err := h.roundTrip(req)
	if err != nil {
		return nil, err
	}
	resp := req.ResponseKind()
	resp.SetVersion(v)
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("%w: decoding %s response: %v", ErrProtocol, kmsg.NameForKey(req.Key()), err)
	}
	return resp, nil
}

// apiVersions learns what the broker supports. It asks with the newest
// version kfk knows; a broker that does not know it answers in v0 with its
// own range, and the request is repeated at that broker's maximum.
func (h *handshaker) apiVersions() error {
	version := ceilings[apiVersionsKey]
	for range 2 {
		req := kmsg.NewPtrApiVersionsRequest()
		req.SetVersion(version)
		req.ClientSoftwareName = SoftwareName
		req.ClientSoftwareVersion = SoftwareVersion
		body, err := h.roundTrip(req)
		if err != nil {
			return err
		}
		resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
		resp.SetVersion(version)
		parseErr := resp.ReadFrom(body)
		if parseErr != nil || resp.ErrorCode == kerr.UnsupportedVersion {
			v0 := kmsg.NewPtrApiVersionsResponse()
			if err := v0.ReadFrom(body); err != nil {
				return fmt.Errorf("%w: ApiVersions response: %v", ErrProtocol, err)
			}
			next := int16(-1)
			for _, k := range v0.ApiKeys {
				if k.ApiKey == apiVersionsKey {
					next = min(k.MaxVersion, version-1)
				}
			}
			if next < 0 {
				return fmt.Errorf("%w: broker refused ApiVersions v%d", ErrUnsupported, version)
			}
			version = next
			continue
		}
		if resp.ErrorCode != 0 {
			return fmt.Errorf("%w: ApiVersions error code %d", ErrProtocol, resp.ErrorCode)
		}
		if err := checkAPIKeys(resp.ApiKeys); err != nil {
			return err
		}
		for _, k := range resp.ApiKeys {
			h.s.versions.set(k.ApiKey, k.MinVersion, k.MaxVersion)
		}
		for _, need := range h.s.opts.Needs {
			if _, err := h.s.versions.choose(need.Int16(), need.Request().MaxVersion(), h.s.opts.MaxVersions); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%w: ApiVersions negotiation did not settle", ErrProtocol)
}

// checkAPIKeys refuses an ApiVersions answer no broker gives: one without
// Metadata or ApiVersions, with a key listed twice, or with an empty
// range. Such an answer is damaged, and adopting it would leave a "ready"
// connection on which every request fails as unsupported; refusing it
// fails this attempt, and the next one (with auto-reconnect) asks again.
func checkAPIKeys(keys []kmsg.ApiVersionsResponseApiKey) error {
	seen := map[int16]bool{}
	for _, k := range keys {
		if k.MinVersion < 0 || k.MaxVersion < k.MinVersion {
			return fmt.Errorf("%w: ApiVersions lists key %d with versions %d..%d", ErrProtocol, k.ApiKey, k.MinVersion, k.MaxVersion)
		}
		if seen[k.ApiKey] {
			return fmt.Errorf("%w: ApiVersions lists key %d twice", ErrProtocol, k.ApiKey)
		}
		seen[k.ApiKey] = true
	}
	for _, key := range []int16{int16(kmsg.Metadata), apiVersionsKey} {
		if !seen[key] {
			return fmt.Errorf("%w: ApiVersions does not list %s", ErrProtocol, kmsg.NameForKey(key))
		}
	}
	return nil
}
