//go:build !linux

package jvm

// processAlive cannot tell outside Linux and assumes every JVM is alive.
func processAlive(string, int) bool { return true }

// processCPUSeconds is not available outside Linux.
func processCPUSeconds(string, int) (float64, bool) { return 0, false }
