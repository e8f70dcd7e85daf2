export function square({ x }) {
  return { value: x * x };
}

export function add({ b, c }) {
  return { value: b + c };
}
