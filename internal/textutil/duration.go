package textutil

import (
	"strconv"
	"time"
)

// HumanDuration writes d the way messages say how long something lasts
// ("10 minutes", "1 hour", "24 hours", "7 days"): in the largest unit that
// d is a whole number of, days only from two of them. Other durations are
// rounded down to whole minutes (or seconds below a minute), so a message
// never promises more time than there is.
func HumanDuration(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= 2*day && d%day == 0:
		return plural(int64(d/day), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return plural(int64(d/time.Minute), "minute")
	}
	return plural(int64(d/time.Second), "second")
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s"
}
