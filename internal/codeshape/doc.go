// Package codeshape holds the test that keeps the module's own code readable in one pass: no
// function longer than 80 lines and no file longer than 600, outside generated code and tests.
package codeshape
