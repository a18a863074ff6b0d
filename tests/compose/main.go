// composecheck loads a compose file the way `docker compose` does (compose-go, the library
// Docker Compose itself uses): .env interpolation, schema validation, normalisation. It prints
// the normalised project as JSON on stdout, or the loader's error on stderr (exit 1).
//
// Usage: composecheck COMPOSE_FILE ENV_FILE [PROFILE ...]
// Without profiles, the ones COMPOSE_PROFILES names (in the env file) are active, as for a user.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: composecheck COMPOSE_FILE ENV_FILE [PROFILE ...]")
		os.Exit(2)
	}
	options := []cli.ProjectOptionsFn{
		cli.WithEnvFiles(os.Args[2]),
		cli.WithDotEnv,
		cli.WithName("newsstream"),
	}
	if len(os.Args) > 3 {
		options = append(options, cli.WithProfiles(os.Args[3:]))
	} else {
		options = append(options, cli.WithDefaultProfiles())
	}
	opts, err := cli.NewProjectOptions([]string{os.Args[1]}, options...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := project.MarshalJSON()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}
