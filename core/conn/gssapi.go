package conn

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	krbclient "github.com/jcmturner/gokrb5/v8/client"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// MechanismGSSAPI is SASL/GSSAPI with Kerberos 5 (RFC 4752), as Kafka's
// brokers run it.
const MechanismGSSAPI = "GSSAPI"

// DefaultKerberosService is the first part of the brokers' service
// principal (service/host@REALM) unless Kerberos.ServiceName says otherwise,
// as in Kafka's own clients.
const DefaultKerberosService = "kafka"

// Kerberos says who a GSSAPI client is and where its tickets come from:
// a keytab (Keytab), a password (SASL.Password), or else the credential
// cache that kinit fills (CCache). One Kerberos serves every connection
// of a client: its login and service tickets are kept and renewed; Close
// ends that.
type Kerberos struct {
	ServiceName string // the brokers' service, "kafka" when empty
	// Principal is the client's principal, "name" (in the configuration's
	// default realm) or "name@REALM"; from the credential cache when empty.
	Principal string
	Keytab    string // a keytab file holding Principal's keys
	// ConfigFile is the krb5.conf to read: when empty, $KRB5_CONFIG, then
	// /etc/krb5.conf.
	ConfigFile string
	// CCache is the credential cache used without a keytab or a password:
	// when empty, $KRB5CCNAME, then /tmp/krb5cc_UID.
	CCache string

	mu     sync.Mutex
	client *krbclient.Client // logged in with a keytab or a password
	closed bool
}

// Settings returns a Kerberos with k's settings and none of its state (a
// login of its own); nil gives the defaults.
func (k *Kerberos) Settings() *Kerberos {
	if k == nil {
		return &Kerberos{}
	}
	return &Kerberos{ServiceName: k.ServiceName, Principal: k.Principal, Keytab: k.Keytab,
		ConfigFile: k.ConfigFile, CCache: k.CCache}
}

// Close ends the login (its renewals stop); authentications after it fail.
func (k *Kerberos) Close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.client != nil {
		k.client.Destroy()
		k.client = nil
	}
	k.closed = true
}

// errKerberosClosed is the error of an authentication after Close.
var errKerberosClosed = errors.New("the client's Kerberos login was closed")

// login returns a Kerberos client with a ticket-granting ticket: the kept
// one, or a new one. password is the SASL password (empty without one).
func (k *Kerberos) login(password string) (*krbclient.Client, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil, errKerberosClosed
	}
	if k.client != nil {
		// A kept login renews itself; one that lapsed anyway logs in again.
		if err := k.client.AffirmLogin(); err != nil {
			return nil, err
		}
		return k.client, nil
	}
	cfg, err := k.config()
	if err != nil {
		return nil, err
	}
	// FAST armouring is off, as in Kafka's Java client: MIT and Active
	// Directory KDCs do not require it.
	noFAST := krbclient.DisablePAFXFAST(true)
	if k.Keytab == "" && password == "" {
		// The cache is read afresh each time, so that a renewal by kinit
		// is seen; such a client cannot renew by itself.
		cc, err := credentials.LoadCCache(k.ccachePath())
		if err != nil {
			return nil, fmt.Errorf("reading the Kerberos credential cache %s (run kinit, or give a keytab): %w", k.ccachePath(), err)
		}
		return krbclient.NewFromCCache(cc, cfg, noFAST)
	}
	var kt *keytab.Keytab
	if k.Keytab != "" {
		if kt, err = keytab.Load(k.Keytab); err != nil {
			return nil, fmt.Errorf("reading the keytab %s: %w", k.Keytab, err)
		}
	}
	name, realm, err := k.principal(cfg, kt)
	if err != nil {
		return nil, err
	}
	var cl *krbclient.Client
	if kt != nil {
		cl = krbclient.NewWithKeytab(name, realm, kt, cfg, noFAST)
	} else {
		cl = krbclient.NewWithPassword(name, realm, password, cfg, noFAST)
	}
	if err := cl.Login(); err != nil {
		return nil, fmt.Errorf("Kerberos login of %s@%s: %w", name, realm, err)
	}
	k.client = cl
	return cl, nil
}

// config reads the krb5.conf in force.
func (k *Kerberos) config() (*krbconfig.Config, error) {
	path := k.ConfigFile
	if path == "" {
		path = os.Getenv("KRB5_CONFIG")
	}
	if path == "" {
		path = "/etc/krb5.conf"
	}
	cfg, err := krbconfig.Load(path)
	if err != nil {
		return nil, fmt.Errorf("reading the Kerberos configuration %s: %w", path, err)
	}
	return cfg, nil
}

func (k *Kerberos) ccachePath() string {
	path := k.CCache
	if path == "" {
		path = os.Getenv("KRB5CCNAME")
	}
	if path == "" {
		return fmt.Sprintf("/tmp/krb5cc_%d", os.Getuid())
	}
	return strings.TrimPrefix(path, "FILE:")
}

// principal splits Principal into its name and realm (the configuration's
// default realm when it names none); without one, the keytab's first
// entry is the principal.
func (k *Kerberos) principal(cfg *krbconfig.Config, kt *keytab.Keytab) (name, realm string, err error) {
	if k.Principal == "" {
		if kt == nil || len(kt.Entries) == 0 {
			return "", "", errors.New("GSSAPI with a password needs the client's principal (sasl_kerberos_principal)")
		}
		p := kt.Entries[0].Principal
		return strings.Join(p.Components, "/"), p.Realm, nil
	}
	name, realm, _ = strings.Cut(k.Principal, "@")
	if realm == "" {
		realm = cfg.LibDefaults.DefaultRealm
	}
	if realm == "" {
		return "", "", fmt.Errorf("principal %q names no realm and the Kerberos configuration has no default_realm", k.Principal)
	}
	return name, realm, nil
}

func (k *Kerberos) service() string {
	if k.ServiceName != "" {
		return k.ServiceName
	}
	return DefaultKerberosService
}

// krb5OID is the Kerberos 5 GSS-API mechanism (RFC 1964).
var krb5OID = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}

// GSS-API context flags the client asks for: integrity and confidentiality,
// which Kafka's brokers expect offered (the exchange then settles on no
// security layer: TLS, when wanted, protects the connection).
const gssFlags = gssapi.ContextFlagInteg | gssapi.ContextFlagConf

// SASL/GSSAPI security layers (RFC 4752 §3.3): kfk takes none.
const (
	gssNoSecurityLayer = 1
	gssLayerOfferSize  = 4 // the layers byte and a 3-byte maximum message size
)

// gssapi runs RFC 4752's exchange with the broker at host: an AP-REQ for
// the service principal service/host, then the broker's offer of security
// layers, answered with "none".
func (h *authenticator) gssapi(cfg SASL) error {
	k := cfg.Kerberos
	if k == nil {
		// A connection on its own (the low-level API): the username is the
		// principal, and the login serves this exchange only.
		k = &Kerberos{Principal: cfg.Username}
		defer k.Close()
	}
	cl, err := k.login(cfg.Password)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSASL, err)
	}
	spn := k.service() + "/" + h.host
	ticket, key, err := cl.GetServiceTicket(spn)
	if err != nil {
		return fmt.Errorf("%w: getting a Kerberos ticket for %s: %v", ErrSASL, spn, err)
	}
	token, err := initialContextToken(cl, ticket, key)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSASL, err)
	}
	offer, err := h.saslStep(token)
	if err != nil {
		return err
	}
	var wrapped gssapi.WrapToken
	if err := wrapped.Unmarshal(offer, true); err != nil {
		return fmt.Errorf("%w: the broker's security layer offer: %v", ErrSASL, err)
	}
	if ok, err := wrapped.Verify(key, keyusage.GSSAPI_ACCEPTOR_SEAL); !ok {
		return fmt.Errorf("%w: the broker's security layer offer did not verify (is it %s?): %v", ErrSASL, spn, err)
	}
	if len(wrapped.Payload) != gssLayerOfferSize || wrapped.Payload[0]&gssNoSecurityLayer == 0 {
		return fmt.Errorf("%w: the broker requires a GSSAPI security layer (offer % x), which kfk does not run", ErrSASL, wrapped.Payload)
	}
	// No layer, no maximum size, no authorization identity besides the
	// principal's own.
	answer, err := gssapi.NewInitiatorWrapToken([]byte{gssNoSecurityLayer, 0, 0, 0}, key)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSASL, err)
	}
	b, err := answer.Marshal()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSASL, err)
	}
	_, err = h.saslStep(b)
	return err
}

// initialContextToken is the GSS-API token opening a Kerberos context (RFC
// 1964 §1.1): the mechanism's OID, then the AP-REQ with a ticket for the
// service. Its authenticator has no subkey, so that both sides seal with
// the ticket's session key.
func initialContextToken(cl *krbclient.Client, ticket messages.Ticket, key types.EncryptionKey) ([]byte, error) {
	auth, err := types.NewAuthenticator(cl.Credentials.Domain(), cl.Credentials.CName())
	if err != nil {
		return nil, err
	}
	auth.Cksum = types.Checksum{CksumType: chksumtype.GSSAPI, Checksum: gssChecksum(gssFlags)}
	req, err := messages.NewAPReq(ticket, key, auth)
	if err != nil {
		return nil, err
	}
	apReq, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	oid, err := asn1.Marshal(krb5OID)
	if err != nil {
		return nil, err
	}
	inner := append(oid, 0x01, 0x00) // TOK_ID: KRB_AP_REQ
	inner = append(inner, apReq...)
	// [APPLICATION 0] IMPLICIT SEQUENCE around the whole (RFC 2743 §3.1).
	token, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassApplication, Tag: 0, IsCompound: true, Bytes: inner})
	if err != nil {
		return nil, err
	}
	return token, nil
}

// gssChecksum is the authenticator checksum of RFC 4121 §4.1.1: the length
// of the channel bindings (16, little-endian), their MD5 (zero: none), and
// the context flags (little-endian).
func gssChecksum(flags uint32) []byte {
	sum := make([]byte, 24)
	sum[0] = 16
	sum[20], sum[21], sum[22], sum[23] = byte(flags), byte(flags>>8), byte(flags>>16), byte(flags>>24)
	return sum
}
