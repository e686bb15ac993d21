package bench

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// units are the size suffixes, matched case-insensitively: K, M, G and T
// are binary like dd's and cp's, KB, MB, ... decimal.
var units = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
	"p": 1 << 50, "pib": 1 << 50, "pb": 1e15,
}

var errSize = errors.New("cannot parse")

// ParseSize parses a positive byte count such as 1000000, 64M, 256MiB or
// 1GiB.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	unit, ok := units[strings.ToLower(strings.TrimSpace(t[i:]))]
	if i == 0 || !ok {
		return 0, fmt.Errorf("%w %q", errSize, s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil || n > math.MaxInt64/unit {
		return 0, fmt.Errorf("%q is too large", s)
	}
	if n == 0 {
		return 0, fmt.Errorf("%q: must be more than 0 bytes", s)
	}
	return n * unit, nil
}

// FormatSize prints n in binary units: exactly ("256 MiB") when a unit
// divides it, else to one decimal ("78.9 GiB").
func FormatSize(n int64) string {
	names := []string{"EiB", "PiB", "TiB", "GiB", "MiB", "KiB"}
	for i, name := range names {
		u := int64(1) << (10 * (len(names) - i))
		switch {
		case n >= u && n%u == 0:
			return fmt.Sprintf("%d %s", n/u, name)
		case n >= u:
			return fmt.Sprintf("%.1f %s", float64(n)/float64(u), name)
		}
	}
	return fmt.Sprintf("%d B", n)
}
