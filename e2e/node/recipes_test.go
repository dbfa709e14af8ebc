//go:build linux

package node

import (
	"testing"

	"kcurl/e2e/harness"
)

// TestDistrolessRecipe runs TestMainContainer's walk from the README's distroless recipe: kcurl copied with
// COPY --from onto a distroless-style base (harness.DistrolessDockerfile), run as the base's nonroot user.
func TestDistrolessRecipe(t *testing.T) {
	walk(t, harness.DistrolessImage, []string{"/usr/local/bin/kcurl"})
}

// TestTokenRotationOnNode would watch the kubelet swap a pod's token: it refreshes a projected token at 80% of its
// lifetime or after 24 hours, and TokenRequest's shortest lifetime is 10 minutes, so the first swap comes 8
// minutes after the pod starts. The repository's TestTokenRotation (e2e/rotation_test.go) swaps the folder the
// kubelet's way instead, in seconds.
func TestTokenRotationOnNode(t *testing.T) {
	needNode(t)
	t.Skip("e2e/node: token rotation by the kubelet takes 8 minutes at the least (80% of a 10-minute token): covered in seconds by e2e's TestTokenRotation, which swaps the folder as the kubelet does")
}

// TestWaitInitContainer is for `kcurl wait`: an init container that waits for a ConfigMap, or another pod's
// readiness, before the main container starts.
func TestWaitInitContainer(t *testing.T) {
	needNode(t)
	t.Skip("e2e/node: kcurl has no wait subcommand yet (issue 13, scenario 6): nothing to run in an init container")
}
