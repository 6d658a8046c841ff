// Package contract is the contract suite of the VerifEye offline twin: one set of scenarios,
// written once against the generated client, that runs against the in-process mock, any running
// server (such as the verifeye-mock binary), or the live EU or US Service API.
//
// Every request and response of a scenario passes through a conformance.Transport, so each
// scenario is also a check that both sides keep to openapi.yaml. Scenarios declare what they need
// of the target (Need); the runner skips, and says why, a scenario the target or the options do
// not allow: against production only read-only scenarios run unless writes and sessions are
// allowed, and mock-control scenarios run only where the mock's control API answers.
//
// Run runs the scenarios and returns a Report, which writes a readable summary, JUnit XML and a
// JSON report with per-operation statuses, latencies and every schema violation. API keys and
// tokens never appear in any of them.
package contract
