package main

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"time"

	"github.com/kfk-dev/kfk/core/client"
)

// kfk_oauthbearer_set_token answers KFK_EVENT_OAUTHBEARER_TOKEN_REFRESH
// with a token valid until expiresAtMs (ms since the epoch).
//
//export kfkgo_oauthbearer_set_token
func kfkgo_oauthbearer_set_token(h C.uint64_t, token *C.char, expiresAtMs C.int64_t, principal *C.char,
	extensions **C.char, nExtensions C.size_t, errbuf *C.char, errlen C.size_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		pairs, ok := goStringPairs(extensions, nExtensions)
		if token == nil || !ok {
			writeErr(errbuf, errlen, "a NULL token, or extensions that are not non-NULL name/value pairs")
			return C.KFK_ERR_INVALID_ARG
		}
		ext := map[string]string{}
		for i := 0; i+1 < len(pairs); i += 2 {
			ext[pairs[i]] = pairs[i+1]
		}
		err := co.c.SetOAuthToken(C.GoString(token), time.UnixMilli(int64(expiresAtMs)), goStringOrEmpty(principal), ext)
		if err != nil {
			writeErr(errbuf, errlen, err.Error())
			if errors.Is(err, client.ErrNotOAuthApplication) {
				return C.KFK_ERR_STATE
			}
			return C.KFK_ERR_INVALID_ARG
		}
		return C.KFK_OK
	})
}

// kfk_oauthbearer_set_token_failure answers the event with why the
// application has no token.
//
//export kfkgo_client_set_sasl_credentials
func kfkgo_client_set_sasl_credentials(h C.uint64_t, username, password *C.char) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		if username == nil || password == nil {
			return C.KFK_ERR_INVALID_ARG
		}
		return errCode(co.c.SetSASLCredentials(C.GoString(username), C.GoString(password)))
	})
}

//export kfkgo_oauthbearer_set_token_failure
func kfkgo_oauthbearer_set_token_failure(h C.uint64_t, reason *C.char) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		if reason == nil {
			return C.KFK_ERR_INVALID_ARG
		}
		if err := co.c.FailOAuthToken(C.GoString(reason)); err != nil {
			return C.KFK_ERR_STATE
		}
		return C.KFK_OK
	})
}
