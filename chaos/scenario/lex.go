package scenario

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/miniraft/miniraft/chaos"
)

// token is a word or punctuation of a line, with its byte column (from 1).
type token struct {
	text string
	col  int
}

// end returns the column just past t.
func (t token) end() int { return t.col + len(t.text) }

// lex splits a line into tokens. Words are separated by white space; the punctuation
// "|", ",", "->" and "-" are tokens of their own wherever they are ("0,1->2" is four
// tokens). A "#" starts a comment that runs to the end of the line.
func lex(line string) []token {
	var toks []token
	i := 0
	for i < len(line) {
		c := line[i]
		switch {
		case c == '#':
			return toks
		case isSpace(c):
			i++
		case c == '|' || c == ',':
			toks = append(toks, token{line[i : i+1], i + 1})
			i++
		case c == '-' && i+1 < len(line) && line[i+1] == '>':
			toks = append(toks, token{"->", i + 1})
			i += 2
		case c == '-':
			toks = append(toks, token{"-", i + 1})
			i++
		default:
			j := i
			for j < len(line) && !isSpace(line[j]) && !strings.ContainsRune("#|,-", rune(line[j])) {
				j++
			}
			toks = append(toks, token{line[i:j], i + 1})
			i = j
		}
	}
	return toks
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isDecimal reports whether s is a plain decimal number: digits with at most one point.
func isDecimal(s string) bool {
	digits, points := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits++
		case s[i] == '.':
			points++
		default:
			return false
		}
	}
	return digits > 0 && points <= 1
}

// parseFloat parses a plain decimal number (no sign, exponent, hex, Inf or NaN).
func parseFloat(s string) (float64, error) {
	if !isDecimal(s) {
		return 0, strconv.ErrSyntax
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, strconv.ErrRange
	}
	return v, nil
}

// parseDuration parses a Go duration without a sign, at most MaxDuration.
func parseDuration(s string) (time.Duration, error) {
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, strconv.ErrSyntax
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	return d, nil
}

// parseProb parses a probability written as a percentage (10%) or a fraction (0.1). A
// percentage is read by moving the decimal point, not by dividing, so that it gives
// exactly the number its fraction would (35.6% is 0.356).
func parseProb(s string) (float64, bool) {
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		if !isDecimal(pct) {
			return 0, false
		}
		whole, frac, _ := strings.Cut(pct, ".")
		whole = strings.Repeat("0", max(0, 3-len(whole))) + whole
		s = whole[:len(whole)-2] + "." + whole[len(whole)-2:] + frac
	}
	v, err := parseFloat(s)
	return v, err == nil
}

// fmtDur renders a duration so that time.ParseDuration reads it back exactly.
func fmtDur(d time.Duration) string { return d.String() }

// fmtFloat renders v as a plain decimal that parseFloat reads back exactly.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// fmtProb renders a probability as a percentage that reads back as p.
func fmtProb(p float64) string { return chaos.FormatPercent(p) }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
