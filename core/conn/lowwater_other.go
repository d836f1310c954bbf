//go:build !linux

package conn

import "net"

// lowWater is the Linux receive low-water mark (lowwater_linux.go); other
// systems read frames as their bytes come.
type lowWater struct{}

func newLowWater(net.Conn) lowWater { return lowWater{} }

func (*lowWater) need(int) {}
