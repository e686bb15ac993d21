package main

import (
	"fmt"
	"strings"
)

// This file is a getopt_long(3) work-alike: combined short options (-rpv),
// attached and separate arguments (-tDIR, -t DIR, --opt=v, --opt v),
// optional arguments only attached (--reflink, --reflink=always),
// unambiguous long-option prefixes (--rec), operands mixed with options,
// and "--". Its messages are glibc's, word for word. spf13/pflag does none
// of prefix matching, glibc's messages or its ambiguity rules, which cp's
// users meet in scripts, so the table is kept here.

type argKind uint8

const (
	noArg argKind = iota
	requiredArg
	optionalArg
)

// longOpt is one entry of the long-option table, in GNU cp's order (the
// order matters: it is the order ambiguity messages list possibilities).
type longOpt struct {
	name string
	arg  argKind
	id   string // the option's identity: a short letter or the long name
}

type shortOpt struct {
	c   byte
	arg argKind
}

// parsedOpt is one option found on the command line.
type parsedOpt struct {
	id     string
	name   string // as the user should see it in messages: "--sparse" or "-S"
	arg    string
	hasArg bool
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// getopt parses args (without the program name) against the tables and
// returns the options in order and the operands.
func getopt(args []string, shorts []shortOpt, longs []longOpt) (opts []parsedOpt, operands []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			operands = append(operands, args[i+1:]...)
			return opts, operands, nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			lo, err := matchLong(name, longs)
			if err != nil {
				return nil, nil, err
			}
			p := parsedOpt{id: lo.id, name: "--" + lo.name}
			switch lo.arg {
			case noArg:
				if hasVal {
					return nil, nil, usageErrorf("option '--%s' doesn't allow an argument", lo.name)
				}
			case optionalArg:
				p.arg, p.hasArg = val, hasVal
			case requiredArg:
				switch {
				case hasVal:
					p.arg, p.hasArg = val, true
				case i+1 < len(args):
					i++
					p.arg, p.hasArg = args[i], true
				default:
					return nil, nil, usageErrorf("option '--%s' requires an argument", lo.name)
				}
			}
			opts = append(opts, p)
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				c := a[j]
				so, ok := findShort(c, shorts)
				if !ok {
					return nil, nil, usageErrorf("invalid option -- '%c'", c)
				}
				p := parsedOpt{id: string(c), name: "-" + string(c)}
				if so.arg != noArg {
					if j+1 < len(a) {
						p.arg, p.hasArg = a[j+1:], true
					} else if so.arg == requiredArg {
						if i+1 >= len(args) {
							return nil, nil, usageErrorf("option requires an argument -- '%c'", c)
						}
						i++
						p.arg, p.hasArg = args[i], true
					}
					opts = append(opts, p)
					break
				}
				opts = append(opts, p)
			}
		default:
			operands = append(operands, a)
		}
	}
	return opts, operands, nil
}

func findShort(c byte, shorts []shortOpt) (shortOpt, bool) {
	for _, s := range shorts {
		if s.c == c {
			return s, true
		}
	}
	return shortOpt{}, false
}

// matchLong finds name exactly or as the prefix of one option; prefixes of
// several options that are all the same option (same id and argument) are
// not ambiguous, as in glibc.
func matchLong(name string, longs []longOpt) (longOpt, error) {
	var found []longOpt
	for _, lo := range longs {
		if lo.name == name {
			return lo, nil
		}
		if strings.HasPrefix(lo.name, name) {
			found = append(found, lo)
		}
	}
	if len(found) == 0 || name == "" {
		return longOpt{}, usageErrorf("unrecognized option '--%s'", name)
	}
	for _, f := range found[1:] {
		if f.id != found[0].id || f.arg != found[0].arg {
			var b strings.Builder
			fmt.Fprintf(&b, "option '--%s' is ambiguous; possibilities:", name)
			for _, g := range found {
				fmt.Fprintf(&b, " '--%s'", g.name)
			}
			return longOpt{}, &usageError{b.String()}
		}
	}
	return found[0], nil
}

// argmatch finds arg among the valid values, exactly or as an unambiguous
// prefix, as gnulib's argmatch does; values that share a meaning (the
// backup types' synonyms) are given the same result. ambiguous says why
// it failed.
func argmatch(arg string, values []string, results []string) (result string, ok, ambiguous bool) {
	match := -1
	for i, v := range values {
		if v == arg {
			return results[i], true, false
		}
		if strings.HasPrefix(v, arg) && arg != "" {
			if match < 0 {
				match = i
			} else if results[match] != results[i] {
				ambiguous = true
			}
		}
	}
	if match < 0 || ambiguous {
		return "", false, ambiguous
	}
	return results[match], true, false
}

// invalidArg is gnulib's argmatch_die message, C locale quoting.
func invalidArg(arg, context string, ambiguous bool, groups [][]string) error {
	var b strings.Builder
	kind := "invalid"
	if ambiguous {
		kind = "ambiguous"
	}
	fmt.Fprintf(&b, "%s argument '%s' for '%s'\nValid arguments are:", kind, arg, context)
	for _, g := range groups {
		b.WriteString("\n  - ")
		for i, v := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "'%s'", v)
		}
	}
	return &usageError{b.String()}
}
