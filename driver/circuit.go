package driver

// CircuitReporter is implemented by providers that stop calling a failing
// store for a while (a circuit breaker), so that observers can report the
// breaker's state. The facade itself does not use it.
//
// Fallback: the provider has no breaker, and none is reported.
type CircuitReporter interface {
	// CircuitState is CircuitClosed, CircuitOpen or CircuitHalfOpen.
	CircuitState() string
}

// The states a CircuitReporter reports.
const (
	CircuitClosed   = "closed"    // calls go through
	CircuitOpen     = "open"      // calls fail at once
	CircuitHalfOpen = "half-open" // one probe call goes through
)
