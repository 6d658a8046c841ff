// Package mocks holds mockery mocks of the generated client, for unit tests of code that
// depends on generated.ClientWithResponsesInterface: create one with
// NewClientWithResponsesInterface(t), program it through EXPECT(), and it fails the test when an
// expected call is not made.
//
// client_with_responses.go is generated from ../../.mockery.yaml by mockery (pinned in go.mod);
// change the interface or the config and run `go generate ./...`.
package mocks

//go:generate go tool mockery --config ../../.mockery.yaml
