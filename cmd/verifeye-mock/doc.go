// Command verifeye-mock runs an offline, stateful mock of Realeyes' VerifEye Service API, for
// developers integrating VerifEye on their laptop and for CI pipelines that test such
// integrations end to end. It serves every operation of openapi.yaml behind the same
// authentication and request validation as the mockserver package, which it wraps.
//
// Usage:
//
//	verifeye-mock [flags]
//
// Every flag has an environment variable, named by one rule: VERIFEYE_MOCK_ and the flag's name
// upper-cased with '-' turned into '_' (--log-level is VERIFEYE_MOCK_LOG_LEVEL). The one
// exception is --api-key, whose variable is VERIFEYE_MOCK_API_KEYS and takes a comma-separated
// list. A flag beats its variable and a variable beats the default; an empty variable counts as
// unset. --help, --version and --check-data-dir have no variable: they are actions, not settings.
//
// Server:
//
//	--addr HOST:PORT            VERIFEYE_MOCK_ADDR             default 127.0.0.1:8080
//	    The address to listen on. Port 0 picks a free port; the banner shows the one bound.
//	--shutdown-timeout DURATION VERIFEYE_MOCK_SHUTDOWN_TIMEOUT default 10s
//	    How long stopping may take after SIGINT or SIGTERM: in-flight requests, then queued
//	    webhook deliveries, within it in all; the deliveries left are dropped and counted.
//
// Accounts:
//
//	--api-key KEY (repeatable)  VERIFEYE_MOCK_API_KEYS         default: the development account
//	    An API key the mock accepts as "Authorization: ApiKey KEY". Every key is an account of
//	    its own, which sees only its own verifications and sessions. --api-key flags replace
//	    the variable's list. Without any key the mock has one development account, "dev", with
//	    the key mockserver.DevAPIKey.
//
// Determinism:
//
//	--seed N                    VERIFEYE_MOCK_SEED             default: random
//	    The seed of ids, nonces and token keys: the same seed and the same requests give the
//	    same answers. Without it a random seed is chosen and printed, so a run can be repeated.
//
// Logging:
//
//	--log-level LEVEL           VERIFEYE_MOCK_LOG_LEVEL        default info
//	    debug, info, warn or error.
//	--log-format FORMAT         VERIFEYE_MOCK_LOG_FORMAT       default text
//	    text or json.
//
// General:
//
//	--version    print "verifeye-mock VERSION" and exit
//	--help, -h   print the usage and exit
//
// The log (a line per request, warnings, start and stop) goes to stderr and never contains an
// API key or a token. Once listening, the mock prints a banner to stdout: the base URL (in the
// line "listening on http://HOST:PORT", which scripts may parse), every account with its API
// key, the seed and a curl command to try. SIGINT or SIGTERM stops it gracefully: it stops
// accepting connections, lets in-flight requests finish and then queued webhook deliveries be
// made, for up to --shutdown-timeout in all (the deliveries left are dropped, and a WARN line
// counts them), and exits 0. It exits 1 when it cannot run (for example when the address is
// taken, or the --data-dir database is damaged: the message names the file and says to move it
// aside) and 2 on a usage error; either way the message names the flag or variable at fault.
// --check-data-dir reads the --data-dir database without serving or changing it, prints what it
// holds and exits 0, or says what is damaged and exits 1.
//
// The version is set when building:
//
//	go build -ldflags "-X main.version=1.2.3" ./cmd/verifeye-mock
package main
