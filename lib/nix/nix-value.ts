// The serializer lives in lib/core/nix-value.ts: the model's escape hatch (Host.addNixSettings)
// takes Nix values and checks their numbers, and the model never imports a projection. The
// renderers keep importing it from here, beside them.
export * from '../core/nix-value';
