// Command dudaobot runs the county's annual education-duty supervision
// cycle over WeChat. See README.md.
package main

import (
	"os"
	_ "time/tzdata" // deadlines are judged in Asia/Shanghai on any host, even one without zoneinfo
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
