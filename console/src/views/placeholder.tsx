export function Placeholder(props: { name: string }) {
  return <p>{props.name}</p>;
}
