package bench

import (
	"slices"
	"time"
)

// Stats summarizes the times of one contender's runs.
type Stats struct {
	Median, Min, Max time.Duration
}

// Summarize returns the median (the mean of the middle two for an even
// count), minimum and maximum of ds; zero for no runs.
func Summarize(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	mid := len(s) / 2
	med := s[mid]
	if len(s)%2 == 0 {
		med = (s[mid-1] + s[mid]) / 2
	}
	return Stats{Median: med, Min: s[0], Max: s[len(s)-1]}
}

// Ratio is d relative to base, the "Diff" column of the article's table: 1 is as fast as
// the baseline, 0.5 takes half its time. It is 0 without a baseline.
func Ratio(d, base time.Duration) float64 {
	if base <= 0 {
		return 0
	}
	return float64(d) / float64(base)
}
