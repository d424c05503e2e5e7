// kube-controller-manager and kube-scheduler of k8s.io/kubernetes, built from the Go module proxy for the
// real-controller suite (tests/flux): Deployments become ReplicaSets and Pods, Pods get scheduled onto kwok's
// fake nodes, ServiceAccounts and kube-root-ca.crt appear, namespace deletion completes. Nothing of ours
// runs: scripts/setup-clusters.sh builds upstream's main packages, k8s.io/kubernetes/cmd/kube-controller-manager
// and cmd/kube-scheduler, with this module's requirements and replaces.

//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
)
