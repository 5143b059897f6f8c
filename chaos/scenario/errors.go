package scenario

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Error is a problem with a scenario: where, what, the offending token (empty when the
// problem is a missing one) and a hint. Its text reads
//
//	file:line:col: msg "token" (hint)
//
// for example: leader.chaos:7:1: unknown command "crsh" (did you mean "crash"?).
type Error struct {
	Pos   Pos
	Token string
	Msg   string
	Hint  string
}

// maxTokenShown caps how much of a token an error message quotes.
const maxTokenShown = 40

func (e *Error) Error() string {
	var b strings.Builder
	if p := e.Pos.String(); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Token != "" {
		tok := e.Token
		if len(tok) > maxTokenShown {
			tok = tok[:maxTokenShown] + "..."
		}
		b.WriteString(" ")
		b.WriteString(strconv.Quote(tok))
	}
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// maxErrors is how many errors an ErrorList keeps; past it, a last "too many errors"
// entry says that there are more.
const maxErrors = 10

// ErrorList is every error found in a file, sorted by position, at most 10 of them and,
// if there were more, a last entry "too many errors".
type ErrorList []*Error

// Error prints one error per line.
func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the errors, for errors.As.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// sortAndCap sorts l by position and caps it.
func (l ErrorList) sortAndCap() ErrorList {
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	if len(l) > maxErrors {
		l = append(l[:maxErrors:maxErrors], &Error{Pos: l[maxErrors].Pos, Msg: "too many errors"})
	}
	return l
}

// maxSuggestLen bounds the length of words we look for suggestions for, so that a huge
// token costs nothing.
const maxSuggestLen = 32

// Suggest returns the candidate closest to word, if it is close enough to be a likely
// typo (or an abbreviation, or a change of case), or "". The CLI uses it too.
func Suggest(word string, candidates []string) string { return suggest(word, candidates) }

// suggest is Suggest.
func suggest(word string, candidates []string) string {
	if word == "" || len(word) > maxSuggestLen {
		return ""
	}
	lower := strings.ToLower(word)
	best, bestD := "", -1
	for _, c := range candidates {
		if c == lower && c != word {
			return c // wrong case
		}
		d := editDistance(lower, c)
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if len(word) >= 3 {
		var prefixOf []string
		for _, c := range candidates {
			if strings.HasPrefix(c, lower) {
				prefixOf = append(prefixOf, c)
			}
		}
		if len(prefixOf) == 1 && prefixOf[0] != word {
			return prefixOf[0] // an abbreviation
		}
	}
	limit := 1
	if len(word) > 4 {
		limit = 2
	}
	if len(word) > 8 {
		limit = 3
	}
	if bestD > 0 && bestD <= limit {
		return best
	}
	return ""
}

// didYouMean returns a hint suggesting the candidate closest to word, or fallback.
func didYouMean(word string, candidates []string, fallback string) string {
	if s := suggest(word, candidates); s != "" {
		return "did you mean " + strconv.Quote(s) + "?"
	}
	return fallback
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
