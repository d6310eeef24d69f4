/**
 * @effect-nacos/naming — not implemented yet: see the project's issues.
 *
 * @since 0.1.0
 */
export {}
