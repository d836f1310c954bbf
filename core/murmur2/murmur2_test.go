package murmur2

import "testing"

// Vectors from the Java client's Utils.murmur2 (as Java ints).
func TestJavaVectors(t *testing.T) {
	for in, want := range map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	} {
		if got := int32(Sum32([]byte(in))); got != want {
			t.Errorf("Sum32(%q) = %d, want %d", in, got, want)
		}
		if got := Positive([]byte(in)); got != want&0x7fffffff {
			t.Errorf("Positive(%q) = %d", in, got)
		}
	}
}

func TestPartition(t *testing.T) {
	if p := Partition([]byte("foobar"), 6); p < 0 || p >= 6 || p != (-790332482&0x7fffffff)%6 {
		t.Errorf("Partition = %d", p)
	}
	if Sum32(nil) != Sum32([]byte{}) {
		t.Error("nil and empty keys must hash alike")
	}
}
