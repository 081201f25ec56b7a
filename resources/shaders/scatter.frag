#version 330 core
// Round points; selected ones get a dark ring.
in vec4 color;
flat in float ring;

uniform float opacity;

out vec4 fragment;

void main ()
{
  vec2 offset = gl_PointCoord * 2.0 - 1.0;
  float r = dot (offset, offset);
  if (r > 1.0 || color.a == 0.0)
    discard;
  if (ring > 0.5 && r > 0.45)
    fragment = vec4 (0.1, 0.1, 0.1, 1.0);
  else
    fragment = vec4 (color.rgb, color.a * opacity);
}
