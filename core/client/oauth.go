package client

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
)

// OAuthBearer says where SASL/OAUTHBEARER's token comes from when the
// application does not set SASL.Token itself (sasl_oauthbearer_* options).
type OAuthBearer struct {
	// Token is a token the application obtained itself, sent as it is.
	Token string
	// UnsecureJWT makes the client mint unsigned JWTs from
	// UnsecureJWTConfig, for brokers that accept them (Kafka's default
	// OAUTHBEARER validator): for development only.
	UnsecureJWT       bool
	UnsecureJWTConfig string
	// Extensions are SASL extensions (KIP-342) sent with every token.
	Extensions map[string]string

	// Method "oidc" fetches tokens from TokenEndpoint with the client
	// credentials grant (KIP-768), as ClientID with ClientSecret, asking
	// for Scope (optional); CAFile (PEM) is trusted for an https endpoint
	// instead of the system's roots when set.
	Method        string
	TokenEndpoint string
	ClientID      string
	ClientSecret  string
	Scope         string
	CAFile        string
}

// OAuthMethodOIDC is OAuthBearer.Method for tokens from a token endpoint.
const OAuthMethodOIDC = "oidc"

// String never shows the token or the extensions' values, so a Config can
// be printed.
func (o OAuthBearer) String() string {
	source := "none"
	switch {
	case o.Method == OAuthMethodApplication:
		source = "application"
	case o.Method == OAuthMethodOIDC:
		source = "oidc " + o.TokenEndpoint + " client=" + o.ClientID + " scope=" + o.Scope
	case o.Token != "":
		source = "token (hidden)"
	case o.UnsecureJWT:
		source = "unsecure_jwt " + o.UnsecureJWTConfig
	}
	return "oauthbearer " + source + " extensions=" + strings.Join(slices.Sorted(maps.Keys(o.Extensions)), ",")
}

// GoString hides them from %#v too.
func (o OAuthBearer) GoString() string { return "client.OAuthBearer{" + o.String() + "}" }

// defaultUnsecureJWTLife is an unsecured token's lifetime without
// lifeSeconds (librdkafka's default too).
const defaultUnsecureJWTLife = time.Hour

// tokenSource builds SASL.Token from the options, or says what is missing.
func (o OAuthBearer) tokenSource(timeout time.Duration) (func() (conn.OAuthToken, error), error) {
	given := 0
	for _, set := range []bool{o.Token != "", o.UnsecureJWT, o.Method != ""} {
		if set {
			given++
		}
	}
	switch {
	case given > 1:
		return nil, &ConfigError{Key: "sasl_oauthbearer_method", Value: o.Method,
			Reason: "give one token source: sasl_oauthbearer_token, sasl_oauthbearer_unsecure_jwt=1, " +
				"or sasl_oauthbearer_method=oidc or application"}
	case o.Method == OAuthMethodApplication:
		return nil, nil // made by New, which has the Handler to ask
	case o.Method == OAuthMethodOIDC:
		source, err := newOIDCSource(o, timeout)
		if err != nil {
			return nil, err
		}
		return source.Token, nil
	case o.Token != "":
		tok := conn.OAuthToken{Value: o.Token, Extensions: o.Extensions}
		return func() (conn.OAuthToken, error) { return tok, nil }, nil
	case o.UnsecureJWT:
		jwt, err := parseUnsecureJWTConfig(o.UnsecureJWTConfig)
		if err != nil {
			return nil, &ConfigError{Key: "sasl_oauthbearer_config", Value: o.UnsecureJWTConfig, Reason: err.Error()}
		}
		for k, v := range o.Extensions {
			jwt.extensions[k] = v
		}
		return func() (conn.OAuthToken, error) { return jwt.mint(time.Now()), nil }, nil
	}
	return nil, &ConfigError{Key: "sasl_mechanism", Value: conn.MechanismOAuthBearer,
		Reason: "OAUTHBEARER needs a token: sasl_oauthbearer_method=oidc with a token endpoint, " +
			"sasl_oauthbearer_token, or sasl_oauthbearer_unsecure_jwt=1 for development"}
}

// unsecureJWT is what an unsecured token says: librdkafka's
// sasl.oauthbearer.config, "principal=NAME [scope=A,B] [lifeSeconds=N]
// [principalClaimName=sub] [scopeClaimName=scope] [extension_NAME=VALUE]".
type unsecureJWT struct {
	principal, principalClaim string
	scope                     []string
	scopeClaim                string
	life                      time.Duration
	extensions                map[string]string
}

func parseUnsecureJWTConfig(text string) (unsecureJWT, error) {
	j := unsecureJWT{principalClaim: "sub", scopeClaim: "scope", life: defaultUnsecureJWTLife,
		extensions: map[string]string{}}
	for _, field := range strings.Fields(text) {
		k, v, ok := strings.Cut(field, "=")
		if !ok || v == "" {
			return j, fmt.Errorf("%q is not name=value", field)
		}
		switch {
		case k == "principal":
			j.principal = v
		case k == "principalClaimName":
			j.principalClaim = v
		case k == "scope":
			j.scope = strings.Split(v, ",")
		case k == "scopeClaimName":
			j.scopeClaim = v
		case k == "lifeSeconds":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return j, fmt.Errorf("lifeSeconds must be a positive number of seconds")
			}
			j.life = time.Duration(n) * time.Second
		case strings.HasPrefix(k, "extension_"):
			j.extensions[strings.TrimPrefix(k, "extension_")] = v
		default:
			return j, fmt.Errorf("unknown field %q (principal, scope, lifeSeconds, principalClaimName, "+
				"scopeClaimName, extension_NAME)", k)
		}
	}
	if j.principal == "" {
		return j, fmt.Errorf("needs principal=NAME")
	}
	return j, nil
}

// mint makes an unsigned JWT (RFC 7519 §6: alg "none", an empty
// signature) valid from now for the configured life.
func (j unsecureJWT) mint(now time.Time) conn.OAuthToken {
	claims := map[string]any{j.principalClaim: j.principal, "iat": now.Unix(), "exp": now.Add(j.life).Unix()}
	if len(j.scope) > 0 {
		claims[j.scopeClaim] = j.scope
	}
	payload, _ := json.Marshal(claims) // strings and numbers only: cannot fail
	enc := base64.RawURLEncoding
	value := enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString(payload) + "."
	return conn.OAuthToken{Value: value, Extensions: j.extensions}
}

// useOAuthOptions sets OAUTHBEARER's token source from the options on a
// copy of c.SASL (the caller's Config may be shared), asking h for tokens
// the application supplies. It returns that source, or nil.
func (c *Config) useOAuthOptions(h Handler) (*appTokenSource, error) {
	if !c.oauthFromOptions() {
		return nil, nil
	}
	sasl := *c.SASL
	c.SASL = &sasl
	if c.OAuthBearer.Method != OAuthMethodApplication {
		source, err := c.OAuthBearer.tokenSource(c.RequestTimeout)
		sasl.Token = source
		return nil, err
	}
	if h.OnOAuthTokenRefresh == nil {
		return nil, &ConfigError{Key: "sasl_oauthbearer_method", Value: OAuthMethodApplication,
			Reason: "the application must answer token refresh events (Handler.OnOAuthTokenRefresh)"}
	}
	app := newAppTokenSource(h.OnOAuthTokenRefresh, c.RequestTimeout)
	sasl.Token = app.Token
	return app, nil
}
