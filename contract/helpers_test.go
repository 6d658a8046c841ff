package contract_test

import "net/http"

type httpHandler = http.Handler
