package report

import (
	_ "embed"
	"html/template"
)

//go:embed page.html.tmpl
var pageSource string

// pageTemplate draws a page. html/template escapes every value by its context.
var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"num": num}).Parse(pageSource))
