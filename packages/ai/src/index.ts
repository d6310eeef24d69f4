/**
 * @effect-nacos/ai — not implemented yet: see the project's issues.
 *
 * @since 0.1.0
 */
export {}
