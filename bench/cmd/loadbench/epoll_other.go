//go:build !linux

package main

import "errors"

// Without epoll (not Linux) newDriver falls back to the goroutines driver, so loadEpoll is
// never called.
const epollSupported = false

func loadEpoll(*loadRun, string, int, int) ([][]sample, error) {
	return nil, errors.New("the epoll driver needs Linux")
}
