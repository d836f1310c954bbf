package client

import (
	"cmp"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"slices"
	"strings"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The SCRAM mechanisms, numbered as Kafka's protocol numbers them.
const (
	ScramSHA256 int8 = 1
	ScramSHA512 int8 = 2
)

// scramSaltBytes is the length of a salt kfk draws when given none.
const scramSaltBytes = 32

func scramHash(mechanism int8) (func() hash.Hash, string, bool) {
	switch mechanism {
	case ScramSHA256:
		return sha256.New, "SCRAM-SHA-256", true
	case ScramSHA512:
		return sha512.New, "SCRAM-SHA-512", true
	}
	return nil, "", false
}

// ScramCredential is one change to a user's SCRAM credentials: with a
// password, set (insert or replace) the credential of Mechanism, salted
// with Salt (empty: random) over Iterations rounds; with a nil Password,
// delete it.
type ScramCredential struct {
	User       string
	Mechanism  int8
	Iterations int32
	Password   []byte
	Salt       []byte
}

// DescribeUserScramCredentials lists the SCRAM credentials of users (nil:
// every user that has some). Result: {users => [{user, error_code,
// error_message, credentials => [{mechanism, iterations}]}]}, mechanism
// "SCRAM-SHA-256" or "SCRAM-SHA-512" (in that order); a user without credentials gets
// RESOURCE_NOT_FOUND (91). A refusal of the whole call is its error.
func (c *Client) DescribeUserScramCredentials(users []string, cb func(tree.Value, error)) {
	req := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
	for _, u := range users {
		ru := kmsg.NewDescribeUserSCRAMCredentialsRequestUser()
		ru.Name = u
		req.Users = append(req.Users, ru)
	}
	c.viaAnyBroker(cb, func(cn *conn.Conn, done connapi.Callback) {
		cn.Do(req, func(resp kmsg.Response, err error) {
			if err != nil {
				done(tree.Value{}, err)
				return
			}
			r := resp.(*kmsg.DescribeUserSCRAMCredentialsResponse)
			if err := refused("describe user scram credentials", r.ErrorCode, r.ErrorMessage); err != nil {
				done(tree.Value{}, err)
				return
			}
			out := make([]tree.Value, 0, len(r.Results))
			for _, u := range r.Results {
				// By mechanism: the broker lists them in no fixed order.
				infos := slices.SortedFunc(slices.Values(u.CredentialInfos),
					func(a, b kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo) int {
						return cmp.Compare(a.Mechanism, b.Mechanism)
					})
				creds := make([]tree.Value, 0, len(infos))
				for _, ci := range infos {
					_, name, ok := scramHash(ci.Mechanism)
					if !ok {
						name = fmt.Sprintf("unknown-%d", ci.Mechanism)
					}
					creds = append(creds, tree.M("mechanism", tree.S(name), "iterations", tree.I(ci.Iterations)))
				}
				out = append(out, tree.M("user", tree.S(u.User), "error_code", tree.I(u.ErrorCode),
					"error_message", tree.OptS(u.ErrorMessage), "credentials", tree.L(creds...)))
			}
			done(tree.M("users", tree.L(out...)), nil)
		})
	})
}

// ParseScramMechanism reads "SCRAM-SHA-256" or "SCRAM-SHA-512" (any case).
func ParseScramMechanism(s string) (int8, error) {
	for _, m := range []int8{ScramSHA256, ScramSHA512} {
		if _, name, _ := scramHash(m); strings.EqualFold(s, name) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("scram mechanism %q unknown (SCRAM-SHA-256 or SCRAM-SHA-512)", s)
}

// Kafka's bounds on SCRAM iterations; the broker refuses others, and
// hashing a password over billions of rounds would only burn the CPU.
const (
	scramMinIterations = 4096
	scramMaxIterations = 16384
)

// AlterUserScramCredentials sets and deletes SCRAM credentials. The
// broker stores a salted password (RFC 5802's Hi: PBKDF2 with the
// mechanism's HMAC), computed here so that the password itself never
// leaves the client. Result: {users => [{user, error_code,
// error_message}]}, one per user named.
func (c *Client) AlterUserScramCredentials(changes []ScramCredential, cb func(tree.Value, error)) {
	async(cb, func() (tree.Value, error) {
		req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
		for _, ch := range changes {
			h, name, ok := scramHash(ch.Mechanism)
			if !ok {
				return tree.Value{}, fmt.Errorf("scram mechanism %d unknown for user %q", ch.Mechanism, ch.User)
			}
			if ch.Password == nil {
				d := kmsg.NewAlterUserSCRAMCredentialsRequestDeletion()
				d.Name, d.Mechanism = ch.User, ch.Mechanism
				req.Deletions = append(req.Deletions, d)
				continue
			}
			if ch.Iterations < scramMinIterations || ch.Iterations > scramMaxIterations {
				return tree.Value{}, fmt.Errorf("%s credential of %q: %d iterations, Kafka takes %d to %d",
					name, ch.User, ch.Iterations, scramMinIterations, scramMaxIterations)
			}
			salt := ch.Salt
			if len(salt) == 0 {
				salt = make([]byte, scramSaltBytes)
				rand.Read(salt)
			}
			salted, err := pbkdf2.Key(h, string(ch.Password), salt, int(ch.Iterations), h().Size())
			if err != nil {
				return tree.Value{}, fmt.Errorf("%s credential of %q: %w", name, ch.User, err)
			}
			u := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
			u.Name, u.Mechanism, u.Iterations, u.Salt, u.SaltedPassword = ch.User, ch.Mechanism, ch.Iterations, salt, salted
			req.Upsertions = append(req.Upsertions, u)
		}
		cn, err := c.adminConn()
		if err != nil {
			return tree.Value{}, err
		}
		resp, err := wait(cn, req)
		if err != nil {
			return tree.Value{}, err
		}
		var out []tree.Value
		for _, u := range resp.(*kmsg.AlterUserSCRAMCredentialsResponse).Results {
			out = append(out, tree.M("user", tree.S(u.User), "error_code", tree.I(u.ErrorCode),
				"error_message", tree.OptS(u.ErrorMessage)))
		}
		return tree.M("users", tree.L(out...)), nil
	})
}
