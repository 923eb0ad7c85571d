// Classes: single, multiple and virtual inheritance, a static member, and
// base-class pointers to heap objects of a derived class.
struct Animal { const char* name; int legs; virtual ~Animal() {} };
struct Dog : Animal { int tricks; Dog() { name = "rex"; legs = 4; tricks = 2; } };
struct Shape { virtual double area() const = 0; virtual ~Shape() {} };
struct Circle : Shape { double radius; Circle(double r) : radius(r) {} double area() const { return 3.0 * radius * radius; } };
struct Named { int id = 7; virtual ~Named() {} };
struct Square : Shape, Named { double side = 3.0; double area() const { return side * side; } };
struct Counter { int value = 0; static int created; Counter() { created++; } };
int Counter::created = 0;
struct Base { int b = 1; virtual ~Base() {} };
struct Left : virtual Base { int l = 2; };
struct Right : virtual Base { int r = 3; };
struct Diamond : Left, Right { int d = 4; };
int main() {
    Dog dog;
    Shape* s = new Circle(2.0);
    Named* n = new Square;
    Counter c1, c2;
    Diamond dia;
    Base* pb = new Diamond;
    double (Shape::*vf)() const = &Shape::area;
    double total = (s->*vf)() + dia.b;
    delete s;
    delete n;
    delete pb;
    return (int)total + c2.value;
}
