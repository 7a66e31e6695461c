package testserver

import (
	"fmt"
	"net"
)

// freePorts asks the kernel for n distinct free loopback TCP ports. All
// listeners are held open until every port is chosen so the n ports differ;
// they are then released for the server to bind. Another process may grab a
// port in between, which is why starts retry with fresh ports on bind errors.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	lns := make([]net.Listener, 0, n)
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("testserver: pick free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
